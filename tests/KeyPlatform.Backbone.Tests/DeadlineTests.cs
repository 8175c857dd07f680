using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Backbone.Tests;

/// <summary>Durable timers: stored with the events that ask for them, fired once when TimeProvider says so.</summary>
public sealed class DeadlineTests(TestBroker broker) : IClassFixture<TestBroker>
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static async Task ScheduleAsync(BackboneHost host, string id, TimeSpan after)
    {
        await using var session = host.Store.LightweightSession();
        session.ScheduleDeadline($"reminder:{id}", host.Clock.GetUtcNow() + after, new ReminderDue(id), host.Clock.GetUtcNow());
        await session.SaveChangesAsync();
    }

    [Fact]
    public async Task A_deadline_72_hours_out_does_not_fire_at_71_59_and_fires_once_after_72_00_across_a_restart()
    {
        var schema = broker.Schema("deadline_restart");
        var clock = new FakeTimeProvider(Start);
        var id = TestInfrastructure.UniqueSuffix();

        await using (var host = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock))
        {
            await ScheduleAsync(host, id, TimeSpan.FromHours(72));
            clock.Advance(TimeSpan.FromHours(71) + TimeSpan.FromMinutes(59));
            (await host.Deadlines.DispatchDueAsync()).ShouldBe(0);
            (await host.EventCountAsync($"reminder:{id}")).ShouldBe(0);
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        await using (var restarted = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock))
        {
            (await restarted.Deadlines.DispatchDueAsync()).ShouldBe(1);
            clock.Advance(TimeSpan.FromHours(1));
            (await restarted.Deadlines.DispatchDueAsync()).ShouldBe(0);
            (await restarted.EventCountAsync($"reminder:{id}")).ShouldBe(1);
        }
    }

    [Fact]
    public async Task Two_dispatchers_racing_for_the_same_deadline_fire_it_once()
    {
        var schema = broker.Schema("deadline_race");
        var clock = new FakeTimeProvider(Start);
        await using var one = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock);
        await using var two = await BackboneHost.StartAsync(schema, broker.VirtualHost, clock);
        var ids = Enumerable.Range(0, 20).Select(_ => TestInfrastructure.UniqueSuffix()).ToList();
        foreach (var id in ids) await ScheduleAsync(one, id, TimeSpan.FromHours(1));
        clock.Advance(TimeSpan.FromHours(1));

        var fired = await Task.WhenAll(one.Deadlines.DispatchDueAsync(), two.Deadlines.DispatchDueAsync());

        fired.Sum().ShouldBe(ids.Count);
        foreach (var id in ids) (await one.EventCountAsync($"reminder:{id}")).ShouldBe(1);
    }

    [Fact]
    public async Task A_cancelled_deadline_never_fires()
    {
        var clock = new FakeTimeProvider(Start);
        await using var host = await BackboneHost.StartAsync(broker.Schema("deadline_cancel"), broker.VirtualHost, clock);
        var id = TestInfrastructure.UniqueSuffix();
        await ScheduleAsync(host, id, TimeSpan.FromHours(72));

        await using (var session = host.Store.LightweightSession())
        {
            (await session.CancelDeadlineAsync($"reminder:{id}", clock.GetUtcNow(), default)).ShouldBeTrue();
            await session.SaveChangesAsync();
        }
        clock.Advance(TimeSpan.FromDays(30));

        (await host.Deadlines.DispatchDueAsync()).ShouldBe(0);
        (await host.EventCountAsync($"reminder:{id}")).ShouldBe(0);
    }

    [Fact]
    public async Task The_polling_dispatcher_fires_a_due_deadline_on_its_own()
    {
        var clock = new FakeTimeProvider(Start);
        await using var host = await BackboneHost.StartAsync(broker.Schema("deadline_poll"), broker.VirtualHost, clock,
            deadlinePolling: true);
        var id = TestInfrastructure.UniqueSuffix();
        await ScheduleAsync(host, id, TimeSpan.FromDays(28));

        clock.Advance(TimeSpan.FromDays(28));

        await Eventually.TrueAsync(async () => await host.EventCountAsync($"reminder:{id}") == 1, "the polling dispatcher to fire");
    }
}
