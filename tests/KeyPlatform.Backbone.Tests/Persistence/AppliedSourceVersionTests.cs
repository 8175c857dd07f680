using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Backbone.Tests.Persistence;

/// <summary>The ordering guard on PostgreSQL (decision 0029): what a consumer keeps of another service's stream moves only
/// forward, per (consumer, stream), also when two transactions apply events of one stream at once.</summary>
public sealed class AppliedSourceVersionTests(TestBroker broker) : IClassFixture<TestBroker>
{
    private const string Consumer = "EnvironmentFacts";
    private readonly string stream = $"environment:env-{TestInfrastructure.UniqueSuffix()}";

    private static async Task<bool> ApplyAsync(IDocumentStore store, SourceStreamVersion? source, string consumer = Consumer)
    {
        await using var session = store.LightweightSession();
        var applies = await session.TryApplySourceVersionAsync(consumer, source, CancellationToken.None);
        await session.SaveChangesAsync();
        return applies;
    }

    private async Task<long?> AppliedAsync(IDocumentStore store, string consumer = Consumer)
    {
        await using var query = store.QuerySession();
        return (await query.LoadAsync<AppliedSourceVersion>(AppliedSourceVersion.KeyFor(consumer, stream)))?.Version;
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task An_event_at_or_below_the_applied_version_does_not_apply_and_other_streams_and_consumers_are_their_own()
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema("source_versions"), broker.VirtualHost, new FakeTimeProvider(), relay: false);

        (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 5))).ShouldBeTrue();
        (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 3))).ShouldBeFalse();
        (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 5))).ShouldBeFalse();
        (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 6))).ShouldBeTrue();
        (await ApplyAsync(host.Store, new SourceStreamVersion($"{stream}-other", 1))).ShouldBeTrue();
        (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 2), consumer: "ActiveKeyFacts")).ShouldBeTrue();
        (await ApplyAsync(host.Store, null)).ShouldBeTrue();

        (await AppliedAsync(host.Store)).ShouldBe(6);
        (await AppliedAsync(host.Store, "ActiveKeyFacts")).ShouldBe(2);
    }

    [Theory]
    [Trait("Rule", "S2")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Of_two_transactions_applying_one_stream_at_once_the_older_event_cannot_commit_after_the_newer(bool streamSeenBefore)
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema($"source_race_{streamSeenBefore}".ToLowerInvariant()), broker.VirtualHost,
            new FakeTimeProvider(), relay: false);
        if (streamSeenBefore) (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 1))).ShouldBeTrue();

        await using var older = host.Store.LightweightSession();
        await using var newer = host.Store.LightweightSession();
        (await older.TryApplySourceVersionAsync(Consumer, new SourceStreamVersion(stream, 4), CancellationToken.None)).ShouldBeTrue();
        (await newer.TryApplySourceVersionAsync(Consumer, new SourceStreamVersion(stream, 5), CancellationToken.None)).ShouldBeTrue();
        await newer.SaveChangesAsync();

        var conflict = await Should.ThrowAsync<Exception>(() => older.SaveChangesAsync());
        StreamCommands.IsConcurrencyConflict(conflict).ShouldBeTrue(conflict.ToString());
        (await AppliedAsync(host.Store)).ShouldBe(5);
        // Deciding again on fresh state, the older event finds it was overtaken.
        (await ApplyAsync(host.Store, new SourceStreamVersion(stream, 4))).ShouldBeFalse();
    }
}
