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
/// <summary>A message the serialiser refuses (System.Text.Json does not write a <see cref="System.Type"/>): it can never be sent.</summary>
[SentBy(Sender.KeyService)]
[EntityName("keyplatform.keys.backbone-test.unsendable")]
public sealed record Unsendable(string Id, Type Payload);
public sealed record PingRecorded(string Id);
public sealed record NoteWritten(string Id);
public sealed record UnsendableNoteWritten(string Id);
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
        UnsendableNoteWritten note => [OutgoingMessage.Publish(new Unsendable(note.Id, typeof(object)))],
        _ => [],
    };
}

/// <summary>Every publish the host makes, in the order the bus began and ended them (PostPublish = confirmed by the
/// broker), with the relay's <c>kp-stream</c> and <c>kp-stream-version</c> headers.</summary>
public sealed class PublishLog : IPublishObserver
{
    private long clock;
    private int inFlight;
    private int mostInFlight;

    public sealed record Entry(long At, bool Confirmed, string? Stream, long? Version, Guid? MessageId);

    public System.Collections.Concurrent.ConcurrentQueue<Entry> Entries { get; } = new();

    /// <summary>The most publishes that were waiting for their confirm at one time.</summary>
    public int MostInFlight => Volatile.Read(ref mostInFlight);

    public Task PrePublish<T>(PublishContext<T> context) where T : class
    {
        var now = Interlocked.Increment(ref inFlight);
        for (var seen = MostInFlight; now > seen; seen = MostInFlight)
            Interlocked.CompareExchange(ref mostInFlight, now, seen);
        Record(context, confirmed: false);
        return Task.CompletedTask;
    }

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        Record(context, confirmed: true);
        Interlocked.Decrement(ref inFlight);
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class
    {
        Interlocked.Decrement(ref inFlight);
        return Task.CompletedTask;
    }

    private void Record(SendContext context, bool confirmed) =>
        Entries.Enqueue(new Entry(Interlocked.Increment(ref clock), confirmed, context.Headers.Get<string>("kp-stream"),
            context.Headers.TryGetHeader("kp-stream-version", out var version) ? Convert.ToInt64(version, System.Globalization.CultureInfo.InvariantCulture) : null,
            context.MessageId));
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
    public PublishLog Published => App.Services.GetRequiredService<PublishLog>();

    public static async Task<BackboneHost> StartAsync(string schema, string virtualHost, FakeTimeProvider clock,
        bool relay = true, bool deadlinePolling = false, TimeSpan? publishTimeout = null,
        Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
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
            ["Messaging:Relay:PublishTimeout"] = (publishTimeout ?? TimeSpan.FromSeconds(30)).ToString(),
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IIntegrationEventMap, NotesAsPings>();
        builder.Services.AddSingleton<PublishLog>();
        builder.Services.AddPublishObserver(sp => sp.GetRequiredService<PublishLog>());
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
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UsePlatformDefaults();
        map?.Invoke(app);
        await app.StartAsync();
        return new BackboneHost(app, clock);
    }

    public async Task<int> EventCountAsync(string streamKey)
    {
        await using var session = Store.QuerySession();
        return (await session.Events.FetchStreamAsync(streamKey)).Count;
    }

    /// <summary>The relay's stored position: the sequence of the last event of the last page it finished.</summary>
    public async Task<long> RelayPositionAsync()
    {
        var progress = await Store.Advanced.AllProjectionProgress();
        return progress.FirstOrDefault(p => p.ShardName.StartsWith(IntegrationEventRelay.SubscriptionName, StringComparison.Ordinal))?.Sequence ?? 0;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
