using JasperFx;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>The ordering guard of a consumer that keeps the last fact of another service's stream: the version of that
/// stream it last applied. <see cref="Version"/> is the document's Marten numeric revision, so two transactions applying
/// events of one stream cannot both commit out of order: the one writing a version not above the stored one fails
/// with a concurrency conflict and decides again on fresh state (decision 0029).</summary>
public sealed class AppliedSourceVersion : ILongVersioned
{
    public string Id { get; set; } = "";

    /// <summary>The version of the source stream whose event was applied last.</summary>
    public long Version { get; set; }

    /// <param name="consumer">What is kept of the stream (the fact document's name): one guard per fact and stream.</param>
    public static string KeyFor(string consumer, string sourceStream) => $"{consumer}:{sourceStream}";

    /// <summary>Pure: an event applies when nothing of its stream was applied yet, or when it is newer than what was.
    /// An event at or below the applied version (a redelivery, or one overtaken by a newer one) changes nothing.</summary>
    public static bool Applies(long? appliedVersion, long eventVersion) => appliedVersion is not { } applied || eventVersion > applied;
}

public static class SourceVersionGuard
{
    /// <summary>Registers the guard's documents with the service's store.</summary>
    public static StoreOptions AddAppliedSourceVersions(this StoreOptions options)
    {
        options.Schema.For<AppliedSourceVersion>();
        return options;
    }

    /// <summary>True when the event from <paramref name="source"/> is newer than what <paramref name="consumer"/> applied from
    /// its stream; its version is then recorded as applied in <paramref name="session"/>, to commit with the effect. False:
    /// the event is older or the same, and its effect must not be written. A message without a source (from a producer
    /// before the headers) always applies and leaves the guard as it is.</summary>
    public static async Task<bool> TryApplySourceVersionAsync(this IDocumentSession session, string consumer, SourceStreamVersion? source,
        CancellationToken cancellationToken)
    {
        if (source is not { } from) return true;
        var id = AppliedSourceVersion.KeyFor(consumer, from.Stream);
        var applied = await session.LoadAsync<AppliedSourceVersion>(id, cancellationToken);
        if (!AppliedSourceVersion.Applies(applied?.Version, from.Version)) return false;
        session.UpdateRevision(new AppliedSourceVersion { Id = id, Version = from.Version }, from.Version);
        return true;
    }
}
