using JasperFx.Events;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using Marten;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Backbone.Tests;

// Messages and effects of a service that exists only to exercise the backbone. It runs as KeyService's broker user
// (on KeyService's queue, in a virtual host of its own), so its messages are named where that user may write.
[SentBy(Sender.KeyService)]
[EntityName("keyplatform.keys.backbone-test.ping")]
public sealed record Ping(string Id);

[SentBy(Sender.KeyService)]
[EntityName("keyplatform.keys.backbone-test.poison-pill")]
public sealed record PoisonPill(string Id);
public sealed record PingRecorded(string Id);
public sealed record NoteWritten(string Id);
public sealed record DeadlineReached(string Id);
public sealed record ReminderDue(string Id);

/// <summary>Applies each Ping by appending an event, so a second application would show as a second event.</summary>
public sealed class PingConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<Ping>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<Ping> context, IDocumentSession session)
    {
        session.Events.Append($"ping:{context.Message.Id}", new PingRecorded(context.Message.Id));
        return Task.CompletedTask;
    }
}

public sealed class AlwaysFailingConsumer : IConsumer<PoisonPill>
{
    public Task Consume(ConsumeContext<PoisonPill> context) =>
        throw new InvalidOperationException($"Poison pill {context.Message.Id} can never be handled");
}

public sealed class ReminderHandler : IDeadlineHandler<ReminderDue>
{
    public Task HandleAsync(ReminderDue payload, Deadline deadline, IDocumentSession session, CancellationToken cancellationToken)
    {
        session.Events.Append($"reminder:{payload.Id}", new DeadlineReached(payload.Id));
        return Task.CompletedTask;
    }
}

/// <summary>Relays NoteWritten events as Ping messages: the relay path, end to end.</summary>
public sealed class NotesAsPings : IIntegrationEventMap
{
    public IEnumerable<OutgoingMessage> Map(IEvent @event) => @event.Data switch
    {
        NoteWritten note => [OutgoingMessage.Publish(new Ping(note.Id))],
        _ => [],
    };
}

/// <summary>A service built only from the shared hosting library, on the real PostgreSQL and RabbitMQ.</summary>
public sealed class BackboneHost : IAsyncDisposable
{
    public const string Queue = Queues.KeyService;

    private BackboneHost(WebApplication app, FakeTimeProvider clock)
    {
        App = app;
        Clock = clock;
    }

    public WebApplication App { get; }
    public FakeTimeProvider Clock { get; }
    public IDocumentStore Store => App.Services.GetRequiredService<IDocumentStore>();
    public IBus Bus => App.Services.GetRequiredService<IBus>();
    public DeadlineDispatcher Deadlines => App.Services.GetRequiredService<DeadlineDispatcher>();

    public static async Task<BackboneHost> StartAsync(string schema, string virtualHost, FakeTimeProvider clock,
        bool relay = true, bool deadlinePolling = false)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestInfrastructure.HostSettings(virtualHost, Sender.KeyService))
        {
            ["RabbitMq:RetryIntervals:0"] = "00:00:00.020",
            ["RabbitMq:RetryIntervals:1"] = "00:00:00.050",
            ["Messaging:RelayEnabled"] = relay.ToString(),
            ["Deadlines:Enabled"] = deadlinePolling.ToString(),
            ["Deadlines:PollInterval"] = "00:00:00.100",
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IIntegrationEventMap, NotesAsPings>();
        builder.Services.AddDeadlineHandler<ReminderDue, ReminderHandler>();
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "backbone-test",
            Sender = Sender.KeyService,
            Schema = schema,
            Queue = Queue,
            ConfigureConsumers = bus =>
            {
                bus.AddConsumer<PingConsumer>();
                bus.AddConsumer<AlwaysFailingConsumer>();
            },
        });
        var app = builder.Build();
        app.UsePlatformDefaults();
        await app.StartAsync();
        return new BackboneHost(app, clock);
    }

    public async Task<int> EventCountAsync(string streamKey)
    {
        await using var session = Store.QuerySession();
        return (await session.Events.FetchStreamAsync(streamKey)).Count;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
