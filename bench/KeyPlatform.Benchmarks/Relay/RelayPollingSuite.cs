using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Testing;

namespace KeyPlatform.Benchmarks.Relay;

/// <summary>
/// An experiment behind two findings, not one of the figures. Every Marten store on a database wakes on one
/// NOTIFY channel (<c>mt_events_appended</c>), whatever its schema, so the platform's services wake each other's
/// daemons; and a wake-up that arrives while the daemon is checking the high-water mark is drained and lost, leaving
/// the relay to the fallback poll (Marten's <c>FastPollingTime</c> 250 ms, <c>SlowPollingTime</c> 1 s). Measured: the
/// relay as the services configure it, beside the same relay with that polling shortened; each first with the
/// database otherwise quiet, then while a neighbour service appends events at a steady rate.
/// </summary>
internal sealed class RelayPollingSuite(BenchOptions options) : ISuite
{
    public static readonly TimeSpan FastPolling = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan SlowPolling = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan NeighbourInterval = TimeSpan.FromMilliseconds(20);

    private TestBroker? broker;
    private TestBroker? tunedBroker;
    private RelayHost? service;
    private RelayHost? tuned;
    private NeighbourWriter? neighbour;

    public string Name => "relay-polling";

    public string Title => "Backbone: relay wake-ups, neighbour traffic and shortened polling (experiment)";

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("as configured, quiet: commit → consumed, p50", "ms", "service.quiet.p50"),
        new("as configured, quiet: commit → consumed, p99", "ms", "service.quiet.p99"),
        new("as configured, quiet: share of pick-ups ≥ 200 ms", "%", "service.quiet.slow"),
        new("as configured, neighbour writing: p50", "ms", "service.busy.p50", "as configured, quiet, p50", "service.quiet.p50"),
        new("as configured, neighbour writing: p99", "ms", "service.busy.p99", "as configured, quiet, p99", "service.quiet.p99"),
        new("as configured, neighbour writing: share of pick-ups ≥ 200 ms", "%", "service.busy.slow"),
        new("shortened polling, quiet: p50", "ms", "tuned.quiet.p50", "as configured, quiet, p50", "service.quiet.p50"),
        new("shortened polling, quiet: p99", "ms", "tuned.quiet.p99", "as configured, quiet, p99", "service.quiet.p99"),
        new("shortened polling, neighbour writing: p50", "ms", "tuned.busy.p50", "as configured, neighbour writing, p50", "service.busy.p50"),
        new("shortened polling, neighbour writing: p99", "ms", "tuned.busy.p99", "as configured, neighbour writing, p99", "service.busy.p99"),
    ];

    public IEnumerable<string> Notes =>
    [
        $"{options.RelayPollingSamples} samples per host, phase and run (after {options.RelayLatencyWarmUp} warm-up), one event at a time, " +
        $"alternating between two relay hosts on the same database (each with its own RabbitMQ virtual host): as configured (FastPollingTime 250 ms, SlowPollingTime 1 s) and " +
        $"shortened (FastPollingTime {FastPolling.TotalMilliseconds:0} ms, SlowPollingTime {SlowPolling.TotalMilliseconds:0} ms, set through " +
        "PlatformServiceOptions.ConfigureMarten); LISTEN/NOTIFY on in both. Neighbour: a third Marten store in its own schema appending " +
        $"one event every {NeighbourInterval.TotalMilliseconds:0} ms. The two relay hosts also wake each other, so \"quiet\" means no " +
        "append overlaps the sample, not no other store on the database.",
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        // A virtual host each: both hosts consume the same message type, and a publish would reach both.
        broker = new TestBroker();
        await broker.InitializeAsync();
        tunedBroker = new TestBroker();
        await tunedBroker.InitializeAsync();
        service = await RelayHost.StartAsync(broker, "relay", options.WaitLimit, tune: null, cancellationToken);
        tuned = await RelayHost.StartAsync(tunedBroker, "relaytuned", options.WaitLimit, marten =>
        {
            marten.Projections.FastPollingTime = FastPolling;
            marten.Projections.SlowPollingTime = SlowPolling;
        }, cancellationToken);
        neighbour = new NeighbourWriter(broker.Schema("neighbour"), NeighbourInterval);
        for (var i = 0; i < options.RelayLatencyWarmUp; i++)
        {
            await service.RelayOnceAsync($"warm-service-{i}", cancellationToken);
            await tuned.RelayOnceAsync($"warm-tuned-{i}", cancellationToken);
        }
    }

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        var m = new Measurements();
        await PhaseAsync(m, run, "quiet", cancellationToken);
        neighbour!.Start();
        try
        {
            await PhaseAsync(m, run, "busy", cancellationToken);
        }
        finally
        {
            await neighbour.StopAsync();
        }
        return m;
    }

    private async Task PhaseAsync(Measurements m, int run, string phase, CancellationToken cancellationToken)
    {
        var asIs = new Samples();
        var asIsPickup = new Samples();
        var shortened = new Samples();
        for (var i = 0; i < options.RelayPollingSamples; i++)
        {
            var a = await service!.RelayOnceAsync($"r{run}-{phase}-service-{i}", cancellationToken);
            var b = await tuned!.RelayOnceAsync($"r{run}-{phase}-tuned-{i}", cancellationToken);
            asIs.Add(a.CommitToConsumed);
            asIsPickup.Add(a.CommitToPrePublish);
            shortened.Add(b.CommitToConsumed);
        }
        m[$"service.{phase}.p50"] = asIs.P50;
        m[$"service.{phase}.p99"] = asIs.P99;
        m[$"service.{phase}.slow"] = asIsPickup.ShareAtLeast(200);
        m[$"tuned.{phase}.p50"] = shortened.P50;
        m[$"tuned.{phase}.p99"] = shortened.P99;
    }

    public async ValueTask DisposeAsync()
    {
        if (neighbour is not null) await neighbour.DisposeAsync();
        if (tuned is not null) await tuned.DisposeAsync();
        if (service is not null) await service.DisposeAsync();
        if (tunedBroker is not null) await tunedBroker.DisposeAsync();
        if (broker is not null) await broker.DisposeAsync();
    }
}
