using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Contracts.Messaging;
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

namespace KeyPlatform.Benchmarks.Relay;

/// <summary>A service made only of the shared hosting library (<see cref="PlatformServiceExtensions.AddPlatformService"/>):
/// Marten with LISTEN/NOTIFY and the <see cref="IntegrationEventRelay"/>, MassTransit on RabbitMQ, one idempotent
/// consumer. In-process, on its own PostgreSQL schema and RabbitMQ virtual host.</summary>
internal sealed class RelayHost : IAsyncDisposable
{
    private readonly TimeSpan waitLimit;

    private RelayHost(WebApplication app, TimeSpan waitLimit)
    {
        App = app;
        this.waitLimit = waitLimit;
    }

    public WebApplication App { get; }

    public IDocumentStore Store => App.Services.GetRequiredService<IDocumentStore>();

    public IBus Bus => App.Services.GetRequiredService<IBus>();

    public Arrivals Arrivals => App.Services.GetRequiredService<Arrivals>();

    /// <param name="service">Names the host's schema (one per host, so two hosts can run side by side).</param>
    /// <param name="waitLimit">How long one message may take before the benchmark fails.</param>
    /// <param name="tune">Extra Marten settings, for experiments; null = the service defaults as they are.</param>
    /// <param name="settings">Extra configuration (e.g. <c>Messaging:Relay:MaxInFlight</c>), for comparisons.</param>
    public static async Task<RelayHost> StartAsync(TestBroker broker, string service, TimeSpan waitLimit,
        Action<StoreOptions>? tune, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        // Solo daemon, as in every test host: one process owns it from its first second (HotCold would first elect a
        // leader); the relay path once running is the same.
        // As the broker's admin user (its queue names are the benchmark's own), taken for KeyService's sender.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestInfrastructure.HostSettings(broker.VirtualHost, Sender.KeyService))
        {
            ["RabbitMq:Username"] = TestInfrastructure.RabbitUser,
            ["RabbitMq:Password"] = TestInfrastructure.RabbitPassword,
            ["Messaging:Senders:KeyService:0"] = TestInfrastructure.RabbitUser,
            ["Marten:Schema"] = broker.Schema(service),
            // No durable deadlines in this service: their poller would only add noise.
            ["Deadlines:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IIntegrationEventMap, NotesAsBenchPings>();
        builder.Services.AddSingleton<Arrivals>();
        builder.Services.AddConsumeObserver<ArrivalConsumeObserver>();
        builder.Services.AddPublishObserver<ArrivalPublishObserver>();
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = $"bench-{service}",
            Sender = Sender.KeyService,
            Schema = broker.Schema(service),
            ConfigureMarten = tune,
            Queue = $"bench-{service}",
            ConfigureConsumers = bus =>
            {
                bus.AddConsumer<BenchPingConsumer>();
                bus.AddConsumer<BenchEchoConsumer>();
            },
        });
        var app = builder.Build();
        app.UsePlatformDefaults();
        await app.StartAsync(cancellationToken);
        return new RelayHost(app, waitLimit);
    }

    public sealed record RelaySample(double Commit, double CommitToPrePublish, double PublishCall, double PrePublishToConsumed,
        double CommitToConsumed);

    public sealed record RawSample(double PublishCall, double PublishToConsumed);

    /// <summary>One event appended and committed; timed until the idempotent consumer has handled its relayed message.</summary>
    public async Task<RelaySample> RelayOnceAsync(string id, CancellationToken cancellationToken)
    {
        var pending = Arrivals.Expect(id);
        try
        {
            await using var session = Store.LightweightSession();
            session.Events.Append($"note:{id}", new BenchNoteWritten(id));
            var before = Clock.Now;
            await session.SaveChangesAsync(cancellationToken);
            var committed = Clock.Now;
            var consumed = await WaitAsync(pending.Consumed, id, cancellationToken);
            var published = await WaitAsync(pending.Published, id, cancellationToken);
            return new RelaySample(
                Clock.Ms(before, committed),
                Clock.Ms(committed, pending.PrePublish),
                Clock.Ms(pending.PrePublish, published),
                Clock.Ms(pending.PrePublish, consumed),
                Clock.Ms(committed, consumed));
        }
        finally
        {
            Arrivals.Forget(id);
        }
    }

    /// <summary>The same message published straight to the bus, to the same consumer.</summary>
    public async Task<RawSample> RawOnceAsync(string id, CancellationToken cancellationToken)
    {
        var pending = Arrivals.Expect(id);
        try
        {
            var start = Clock.Now;
            await Bus.Publish(new BenchPing(id), cancellationToken);
            var consumed = await WaitAsync(pending.Consumed, id, cancellationToken);
            var published = await WaitAsync(pending.Published, id, cancellationToken);
            return new RawSample(Clock.Ms(pending.PrePublish, published), Clock.Ms(start, consumed));
        }
        finally
        {
            Arrivals.Forget(id);
        }
    }

    /// <summary>A message whose consumer does nothing: publish → consumed is the broker round trip alone.</summary>
    public async Task<double> EchoOnceAsync(string id, CancellationToken cancellationToken)
    {
        var pending = Arrivals.Expect(id);
        try
        {
            var start = Clock.Now;
            await Bus.Publish(new BenchEcho(id), cancellationToken);
            return Clock.Ms(start, await WaitAsync(pending.Consumed, id, cancellationToken));
        }
        finally
        {
            Arrivals.Forget(id);
        }
    }

    private async Task<long> WaitAsync(TaskCompletionSource<long> stamp, string id, CancellationToken cancellationToken)
    {
        try
        {
            return await stamp.Task.WaitAsync(waitLimit, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Message {id} was not published and consumed within {waitLimit.TotalSeconds:0} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
