using KeyPlatform.Testing;
using Marten;
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
}
