using Marten;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>What a service tells the operator endpoints about its streams (S3, S4): which aggregate a stream-key
/// prefix holds, so its state can be shown as of any version or time, and how to find a tenant's streams of that
/// prefix, for the audit trail and the tenant filter of the stream list.</summary>
/// <example><code>
/// Aggregates = new AggregateRegistry()
///     .Stream&lt;TenantKeyRing&gt;("tenant-key:")                                     // tenant-key:{tenant}:{region}
///     .Stream&lt;TenantEnvironment&gt;("environment:", StreamTenancy.EventProperty("TenantId")),
/// </code></example>
public sealed class AggregateRegistry
{
    private readonly List<StreamAggregate> streams = [];

    public IReadOnlyList<StreamAggregate> Streams => streams;

    /// <summary>Streams whose key starts with <paramref name="prefix"/> are <typeparamref name="TAggregate"/> streams.
    /// <paramref name="tenancy"/> says how to find a tenant's streams of this prefix; by default the tenant id is the
    /// key segment right after the prefix (<see cref="StreamTenancy.KeySegment"/>).</summary>
    public AggregateRegistry Stream<TAggregate>(string prefix, StreamTenancy? tenancy = null) where TAggregate : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (streams.Any(s => s.Prefix == prefix))
            throw new InvalidOperationException($"Stream prefix '{prefix}' is registered twice.");
        streams.Add(new StreamAggregate(prefix, typeof(TAggregate), tenancy ?? StreamTenancy.KeySegment,
            async (session, streamKey, version, at, cancellationToken) =>
                await session.Events.AggregateStreamAsync<TAggregate>(streamKey, version: version, timestamp: at, token: cancellationToken)));
        return this;
    }

    /// <summary>The registration whose prefix is the longest one the stream key starts with, or null.</summary>
    public StreamAggregate? Find(string streamKey) =>
        streams.Where(s => streamKey.StartsWith(s.Prefix, StringComparison.Ordinal))
            .MaxBy(s => s.Prefix.Length);
}

/// <summary>One registration: a stream-key prefix, the aggregate its streams build, and how its streams name
/// their tenant. The aggregation is a delegate closed over the aggregate type, so no reflection is needed.</summary>
public sealed class StreamAggregate
{
    internal StreamAggregate(string prefix, Type aggregateType, StreamTenancy tenancy, AggregateStream aggregate)
    {
        Prefix = prefix;
        AggregateType = aggregateType;
        Tenancy = tenancy;
        Aggregate = aggregate;
    }

    public string Prefix { get; }
    public Type AggregateType { get; }
    public string AggregateName => AggregateType.Name;
    public StreamTenancy Tenancy { get; }

    /// <summary>Live aggregation up to <c>version</c> (0: all) or up to the events recorded at or before <c>at</c>.</summary>
    internal AggregateStream Aggregate { get; }
}

internal delegate Task<object?> AggregateStream(IQuerySession session, string streamKey, long version, DateTimeOffset? at,
    CancellationToken cancellationToken);
