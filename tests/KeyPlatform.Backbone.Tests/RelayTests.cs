using System.Text.Json;
using JasperFx.Events.Daemon;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using Marten;
using Microsoft.AspNetCore.TestHost;
using MassTransit;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Backbone.Tests;

/// <summary>The dual write: what is committed reaches RabbitMQ, once in effect, across restarts.</summary>
public sealed class RelayTests(TestBroker broker) : IClassFixture<TestBroker>
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    [Trait("Rule", "S2")]
    public async Task Event_committed_while_the_relay_was_down_is_published_after_restart_and_applied_once()
    {
        var schema = broker.Schema("relay_restart");
        var id = TestInfrastructure.UniqueSuffix();

        // The process commits the event and stops before anything is published (its relay is not running).
        await using (var crashed = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock, relay: false))
        {
            await using var session = crashed.Store.LightweightSession();
            session.Events.Append($"note:{id}", new NoteWritten(id));
            await session.SaveChangesAsync();
        }

        // Restarted, the relay resumes from its stored position and publishes what was committed.
        await using (var restarted = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock))
        {
            await Eventually.TrueAsync(async () => await restarted.EventCountAsync($"ping:{id}") > 0, "the ping to be applied");
        }

        // A second restart does not publish it again: the position was stored with the page.
        await using (var again = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock))
        {
            var later = TestInfrastructure.UniqueSuffix();
            await using (var session = again.Store.LightweightSession())
            {
                session.Events.Append($"note:{later}", new NoteWritten(later));
                await session.SaveChangesAsync();
            }
            await Eventually.TrueAsync(async () => await again.EventCountAsync($"ping:{later}") > 0, "the later ping");
            (await again.EventCountAsync($"ping:{id}")).ShouldBe(1);
        }
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task The_same_message_delivered_twice_changes_nothing_the_second_time()
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema("inbox"), broker.VirtualHost, clock);
        var id = TestInfrastructure.UniqueSuffix();
        var messageId = Guid.NewGuid();
        var marker = TestInfrastructure.UniqueSuffix();

        await host.Bus.Publish(new Ping(id), context => context.MessageId = messageId);
        await host.Bus.Publish(new Ping(id), context => context.MessageId = messageId);
        // A later, different message proves the consumer has worked through both copies before we count.
        await host.Bus.Publish(new Ping(marker));
        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{marker}") > 0, "the marker ping");

        (await host.EventCountAsync($"ping:{id}")).ShouldBe(1);
    }

    [Fact]
    public async Task A_message_that_always_fails_lands_in_the_error_queue_with_its_exception_and_others_still_flow()
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema("poison"), broker.VirtualHost, clock);
        var poison = TestInfrastructure.UniqueSuffix();
        var before = TestInfrastructure.UniqueSuffix();
        var after = TestInfrastructure.UniqueSuffix();

        await host.Bus.Publish(new Ping(before));
        await host.Bus.Publish(new PoisonPill(poison));
        await host.Bus.Publish(new Ping(after));

        var faulted = await Eventually.GetAsync(async () =>
            (await broker.Management.PeekAsync(broker.VirtualHost, $"{BackboneHost.Queue}_error"))
            .FirstOrDefault(m => m.Payload.Contains(poison, StringComparison.Ordinal)), "the poison pill in the error queue");
        faulted.Header("MT-Fault-ExceptionType").ShouldBe(typeof(InvalidOperationException).FullName);
        faulted.Header("MT-Fault-Message")!.ShouldContain("can never be handled");

        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{after}") == 1, "the ping after the poison");
        (await host.EventCountAsync($"ping:{before}")).ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_page_is_published_whole_streams_concurrently_each_stream_in_order_and_the_position_moves_after_it()
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema("relay_page"), broker.VirtualHost, clock);
        var id = TestInfrastructure.UniqueSuffix();
        var hot = $"note:{id}-hot";

        // One transaction, so one page: 40 events of one stream and 40 streams of one event each.
        long last;
        await using (var session = host.Store.LightweightSession())
        {
            for (var n = 0; n < 40; n++)
            {
                session.Events.Append(hot, new NoteWritten($"{id}-hot-{n}"));
                session.Events.Append($"note:{id}-cold-{n}", new NoteWritten($"{id}-cold-{n}"));
            }
            await session.SaveChangesAsync();
            await using var query = host.Store.QuerySession();
            last = (await query.Events.FetchStreamAsync($"note:{id}-cold-39")).Single().Sequence;
        }

        await Eventually.TrueAsync(async () => await host.RelayPositionAsync() >= last, "the relay's position past the page");
        // The position is stored after the page is confirmed: by then every message is applied or on its way; all are applied once.
        await Eventually.TrueAsync(async () => await PingsAsync(host, id) == 80, "the 80 pings to be applied");
        (await PingsAsync(host, id)).ShouldBe(80);

        var confirmed = host.Published.Entries.ToList();
        var hotPublishes = confirmed.Where(e => e.Stream == hot).ToList();
        // Each event of the hot stream began only after the previous one was confirmed by the broker, in version order.
        var versions = hotPublishes.Where(e => e.Confirmed).Select(e => e.Version!.Value).ToList();
        versions.ShouldBe(Enumerable.Range(1, 40).Select(v => (long)v).ToList());
        for (var v = 2; v <= 40; v++)
        {
            var began = hotPublishes.First(e => !e.Confirmed && e.Version == v).At;
            var previousConfirmed = hotPublishes.First(e => e.Confirmed && e.Version == v - 1).At;
            began.ShouldBeGreaterThan(previousConfirmed, $"version {v} of the hot stream began before version {v - 1} was confirmed");
        }
        // ... while the other streams were published beside it, not one broker round trip after the other.
        host.Published.MostInFlight.ShouldBeGreaterThan(1);
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_broker_outage_pauses_the_relay_without_moving_its_position_degrades_readiness_and_the_event_is_published_after_recovery()
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema("relay_outage"), broker.VirtualHost, clock,
            publishTimeout: TimeSpan.FromSeconds(2));
        var client = host.App.GetTestClient();
        var before = TestInfrastructure.UniqueSuffix();
        await AppendNoteAsync(host, before);
        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{before}") == 1, "the ping before the outage");
        (await RelayReadinessAsync(client)).ShouldBe("Healthy");
        var positionBefore = await host.RelayPositionAsync();

        var during = TestInfrastructure.UniqueSuffix();
        long duringSequence;
        await broker.Management.RefuseConnectionsAsync(broker.VirtualHost);
        try
        {
            duringSequence = await AppendNoteAsync(host, during);
            await Eventually.TrueAsync(async () => await RelayReadinessAsync(client) == "Degraded", "readiness to name the relay degraded",
                TimeSpan.FromSeconds(60));
            (await host.RelayPositionAsync()).ShouldBeLessThan(duringSequence);
            (await host.RelayPositionAsync()).ShouldBe(positionBefore);
        }
        finally
        {
            await broker.Management.AdmitConnectionsAsync(broker.VirtualHost);
        }

        // The daemon restarts the paused relay from its stored position: the event is published after all, once.
        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{during}") == 1, "the ping committed during the outage",
            TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(async () => await host.RelayPositionAsync() >= duringSequence, "the position past the event");
        await Eventually.TrueAsync(async () => await RelayReadinessAsync(client) == "Healthy", "the relay healthy again");
        (await host.EventCountAsync($"ping:{during}")).ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_message_that_can_never_be_sent_is_a_dead_letter_and_the_rest_of_its_page_is_published()
    {
        await using var host = await BackboneHost.StartAsync(broker.Schema("relay_dead"), broker.VirtualHost, clock);
        var client = host.App.GetTestClient();
        var unsendable = TestInfrastructure.UniqueSuffix();
        var after = TestInfrastructure.UniqueSuffix();
        long unsendableSequence, afterSequence;
        await using (var session = host.Store.LightweightSession())
        {
            session.Events.Append($"note:{unsendable}", new UnsendableNoteWritten(unsendable));
            session.Events.Append($"note:{after}", new NoteWritten(after));
            await session.SaveChangesAsync();
        }
        await using (var query = host.Store.QuerySession())
        {
            unsendableSequence = (await query.Events.FetchStreamAsync($"note:{unsendable}")).Single().Sequence;
            afterSequence = (await query.Events.FetchStreamAsync($"note:{after}")).Single().Sequence;
        }

        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{after}") == 1, "the other event of the page");
        await Eventually.TrueAsync(async () => await host.RelayPositionAsync() >= Math.Max(unsendableSequence, afterSequence), "the position past the page");
        var deadLetter = await Eventually.GetAsync(async () =>
        {
            await using var query = host.Store.QuerySession();
            return await query.Query<DeadLetterEvent>().FirstOrDefaultAsync(d => d.EventSequence == unsendableSequence);
        }, "the dead letter of the unsendable event");
        deadLetter.ProjectionName.ShouldBe(IntegrationEventRelay.SubscriptionName);
        deadLetter.ExceptionType.ShouldContain("SerializationException");
        (await RelayReadinessAsync(client)).ShouldBe("Healthy");
    }

    private static async Task<long> AppendNoteAsync(BackboneHost host, string id)
    {
        await using var session = host.Store.LightweightSession();
        session.Events.Append($"note:{id}", new NoteWritten(id));
        await session.SaveChangesAsync();
        await using var query = host.Store.QuerySession();
        return (await query.Events.FetchStreamAsync($"note:{id}")).Single().Sequence;
    }

    private static async Task<int> PingsAsync(BackboneHost host, string id)
    {
        await using var query = host.Store.QuerySession();
        return await query.Events.QueryRawEventDataOnly<PingRecorded>().CountAsync(p => p.Id.StartsWith(id));
    }

    /// <summary>The relay's entry in the body of <c>/health/ready</c>.</summary>
    private static async Task<string?> RelayReadinessAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("checks").TryGetProperty(IntegrationEventRelayHealth.Name, out var relay) ? relay.GetString() : null;
    }
}
