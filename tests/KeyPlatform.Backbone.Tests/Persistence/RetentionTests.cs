using System.Net;
using System.Net.Http.Json;
using KeyPlatform.Backbone.Tests.Commands;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Backbone.Tests.Persistence;

/// <summary>What is kept only so repeats change nothing (handled messages, remembered answers, fired deadlines) is
/// deleted once older than Messaging:Retention (7 days), and recognised until then.</summary>
public sealed class RetentionTests(TestBroker broker) : IClassFixture<TestBroker>
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

    private Task<HttpResponseMessage> AddAsync(BackboneHost host, string key)
    {
        var client = host.App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            DevTokens.Mint(new JwtOptions(), "alice", tenant, [PlatformRoles.PowerPlatformAdmin]));
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/tallies/c1") { Content = JsonContent.Create(new { amount = 1 }) };
        request.Headers.Add(IdempotencyKeys.Header, key);
        return client.SendAsync(request);
    }

    private static async Task<(int Handled, int Answers, int Deadlines)> KeptAsync(BackboneHost host)
    {
        await using var session = host.Store.QuerySession();
        return (await session.Query<HandledMessage>().CountAsync(), await session.Query<RememberedAnswer>().CountAsync(),
            await session.Query<Deadline>().CountAsync());
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task Pruning_deletes_handled_messages_answers_and_fired_deadlines_older_than_the_retention_and_keeps_younger_ones()
    {
        var clock = new FakeTimeProvider(Start);
        await using var host = await BackboneHost.StartAsync(broker.Schema("retention_prune"), broker.VirtualHost, clock, relay: false,
            configure: builder => builder.AddTallies(), map: app => app.MapTallies());
        var retention = host.App.Services.GetRequiredService<Retention>();
        var oldKey = Guid.NewGuid().ToString();
        (await AddAsync(host, oldKey)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await using (var session = host.Store.LightweightSession())
        {
            session.ScheduleDeadline("reminder:old", Start.AddMinutes(1), new ReminderDue("old"), Start);
            session.ScheduleDeadline("reminder:pending", Start.AddDays(30), new ReminderDue("pending"), Start);
            await session.SaveChangesAsync();
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        (await host.Deadlines.DispatchDueAsync()).ShouldBe(1);

        clock.Advance(TimeSpan.FromDays(6));
        (await AddAsync(host, Guid.NewGuid().ToString())).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await retention.PruneAsync()).ShouldBe(0);
        (await KeptAsync(host)).ShouldBe((2, 2, 2));
        var young = await AddAsync(host, oldKey);
        young.Headers.Contains(IdempotencyKeys.ReplayedHeader).ShouldBeTrue();

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        (await retention.PruneAsync()).ShouldBe(3);
        (await KeptAsync(host)).ShouldBe((1, 1, 1));
        await using (var session = host.Store.QuerySession())
        {
            (await session.LoadAsync<Deadline>("reminder:pending")).ShouldNotBeNull();
            (await session.LoadAsync<Deadline>("reminder:old")).ShouldBeNull();
        }
        (await host.EventCountAsync(Tally.StreamKey(tenant, "c1"))).ShouldBe(2);
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_redelivery_younger_than_the_retention_is_still_recognised_after_pruning()
    {
        var clock = new FakeTimeProvider(Start);
        await using var host = await BackboneHost.StartAsync(broker.Schema("retention_redelivery"), broker.VirtualHost, clock, relay: false);
        var retention = host.App.Services.GetRequiredService<Retention>();
        var id = TestInfrastructure.UniqueSuffix();
        var messageId = Guid.NewGuid();
        await host.Bus.Publish(new Ping(id), context => context.MessageId = messageId);
        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{id}") > 0, "the first delivery");

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        await retention.PruneAsync();
        await host.Bus.Publish(new Ping(id), context => context.MessageId = messageId);
        var marker = TestInfrastructure.UniqueSuffix();
        await host.Bus.Publish(new Ping(marker));
        await Eventually.TrueAsync(async () => await host.EventCountAsync($"ping:{marker}") > 0, "the marker ping");

        (await host.EventCountAsync($"ping:{id}")).ShouldBe(1);
    }

    [Fact]
    public void A_retention_shorter_than_a_day_is_refused_at_start_up()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Messaging:Retention"] = "01:00:00" }).Build();
        Should.Throw<InvalidOperationException>(() => RetentionOptions.FromConfiguration(configuration))
            .Message.ShouldContain("Messaging:Retention");
    }
}
