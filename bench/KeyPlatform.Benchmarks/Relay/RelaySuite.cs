using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Testing;
using Marten;

namespace KeyPlatform.Benchmarks.Relay;

/// <summary>
/// Backbone: an event committed in Marten, relayed by <c>IntegrationEventRelay</c> (LISTEN/NOTIFY on) to RabbitMQ and
/// consumed by an idempotent consumer; beside it, the same message published straight to the bus (same consumer),
/// and a message whose consumer does nothing (the broker alone). Latency samples are interleaved one by one, so
/// drift on this shared machine hits subject and baselines alike.
/// </summary>
internal sealed class RelaySuite(BenchOptions options) : ISuite
{
    private TestBroker? broker;
    private TestBroker? sequentialBroker;
    private RelayHost? host;
    private RelayHost? sequential;

    public string Name => "relay";

    public string Title => "Backbone: relay";

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("commit → consumed, p50", "ms", "relay.lat.p50", "raw publish → consumed, same consumer, p50", "raw.lat.p50"),
        new("commit → consumed, p99", "ms", "relay.lat.p99", "raw publish → consumed, same consumer, p99", "raw.lat.p99"),
        new("commit → consumed, p50", "ms", "relay.lat.p50", "broker only (no-op consumer), p50", "echo.lat.p50"),
        new("commit → consumed, p99", "ms", "relay.lat.p99", "broker only (no-op consumer), p99", "echo.lat.p99"),
        new("· commit → relay publishes (daemon pick-up), p50", "ms", "relay.pickup.p50"),
        new("· commit → relay publishes (daemon pick-up), p99", "ms", "relay.pickup.p99"),
        new("· relay's publish call (until the broker confirms), p50", "ms", "relay.publish.p50", "raw publish call, same consumer, p50", "raw.publish.p50"),
        new("· relay's publish call (until the broker confirms), p99", "ms", "relay.publish.p99", "raw publish call, same consumer, p99", "raw.publish.p99"),
        new("· handed to the bus → consumed, p50", "ms", "relay.deliver.p50"),
        new("· handed to the bus → consumed, p99", "ms", "relay.deliver.p99"),
        new("· share of samples whose pick-up took 200–900 ms", "%", "relay.pickup.fastpoll"),
        new("· share of samples whose pick-up took ≥ 900 ms", "%", "relay.pickup.slowpoll"),
        new("append + commit (SaveChanges), p50", "ms", "relay.commit.p50"),
        new("throughput, committed in batches → all consumed", "msg/s", "relay.tput", "raw publish, 100 in flight → all consumed, same consumer", "raw.tput"),
        new("throughput, committed in batches → all relayed", "msg/s", "relay.tput.published", "raw publish rate, 100 in flight", "raw.tput.published"),
        new("throughput, committed in batches → all relayed", "msg/s", "relay.tput.published", "the commits alone (first to last SaveChanges)", "relay.tput.committed"),
        new("throughput, committed in batches → all consumed", "msg/s", "relay.tput", "the relay publishing one message at a time (MaxInFlight 1, as before 0024) → all consumed", "seq.tput"),
        new("throughput, committed in batches → all relayed", "msg/s", "relay.tput.published", "the relay publishing one message at a time (MaxInFlight 1) → all relayed", "seq.tput.published"),
        new("throughput, one message at a time (MaxInFlight 1) → all consumed", "msg/s", "seq.tput", "raw publish, 100 in flight → all consumed, same consumer", "raw.tput"),
        new("backlog: committed in one transaction → all relayed, from the commit", "msg/s", "relay.backlog", "raw publish rate, 100 in flight", "raw.tput.published"),
        new("backlog: committed in one transaction → all relayed, from the commit", "msg/s", "relay.backlog", "the relay publishing one message at a time (MaxInFlight 1)", "seq.backlog"),
        new("throughput, broker only (no-op consumer, 100 in flight)", "msg/s", "echo.tput"),
    ];

    public IEnumerable<string> Notes =>
    [
        $"Latency: {options.RelayLatencySamples} samples per path and run (after {options.RelayLatencyWarmUp} warm-up), one message at a time, " +
        "relay / raw / no-op interleaved. Timestamps: commit = SaveChangesAsync returned; published and consumed = MassTransit " +
        "publish and consume observers (consumed = after the consumer's transaction). " +
        $"Throughput: {options.RelayThroughputMessages} messages per path; the relay path commits {options.RelayCommitBatch} new streams " +
        "× 1 event per transaction, back to back, and the clock runs from the first commit to the last consumption. " +
        $"Backlog: {options.RelayThroughputMessages} new streams committed in one transaction, timed from that commit to the relay's last publish. " +
        "Daemon mode Solo, relay page size 500 and MaxInFlight 100 (the service defaults), consumer concurrency = MassTransit's default prefetch. " +
        "The one-at-a-time relay (Messaging:Relay:MaxInFlight = 1, the behaviour before decision 0024) is a second host with its own " +
        "virtual host on the same database, its throughput window interleaved with the others in each run.",
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        broker = new TestBroker();
        await broker.InitializeAsync();
        host = await RelayHost.StartAsync(broker, "relay", options.WaitLimit, tune: null, cancellationToken);
        // Its own virtual host: both hosts consume the same message types, and a publish would reach both.
        sequentialBroker = new TestBroker();
        await sequentialBroker.InitializeAsync();
        sequential = await RelayHost.StartAsync(sequentialBroker, "relayseq", options.WaitLimit, tune: null, cancellationToken,
            new Dictionary<string, string?> { ["Messaging:Relay:MaxInFlight"] = "1" });
        // Warm up every path: JIT, connection pools, exchanges and bindings, the daemon's first pages.
        for (var i = 0; i < options.RelayLatencyWarmUp; i++)
        {
            await host!.RelayOnceAsync($"warm-relay-{i}", cancellationToken);
            await host!.RawOnceAsync($"warm-raw-{i}", cancellationToken);
            await host!.EchoOnceAsync($"warm-echo-{i}", cancellationToken);
        }
        await RelayThroughputAsync(host, "warm-tput-relay", Math.Min(300, options.RelayThroughputMessages), cancellationToken);
        await RelayThroughputAsync(sequential, "warm-tput-seq", Math.Min(300, options.RelayThroughputMessages), cancellationToken);
        await RawThroughputAsync("warm-tput-raw", Math.Min(300, options.RelayThroughputMessages), echo: false, cancellationToken);
        await RawThroughputAsync("warm-tput-echo", Math.Min(300, options.RelayThroughputMessages), echo: true, cancellationToken);
    }

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        var relay = new Samples();
        var pickup = new Samples();
        var publish = new Samples();
        var deliver = new Samples();
        var commit = new Samples();
        var raw = new Samples();
        var rawPublish = new Samples();
        var echo = new Samples();

        for (var i = 0; i < options.RelayLatencyWarmUp + options.RelayLatencySamples; i++)
        {
            var counted = i >= options.RelayLatencyWarmUp;
            var r = await host!.RelayOnceAsync($"r{run}-relay-{i}", cancellationToken);
            var w = await host!.RawOnceAsync($"r{run}-raw-{i}", cancellationToken);
            var e = await host!.EchoOnceAsync($"r{run}-echo-{i}", cancellationToken);
            if (!counted) continue;
            relay.Add(r.CommitToConsumed);
            pickup.Add(r.CommitToPrePublish);
            publish.Add(r.PublishCall);
            deliver.Add(r.PrePublishToConsumed);
            commit.Add(r.Commit);
            raw.Add(w.PublishToConsumed);
            rawPublish.Add(w.PublishCall);
            echo.Add(e);
        }

        var n = options.RelayThroughputMessages;
        var (relayRate, relayPublishedRate, relayCommittedRate) = await RelayThroughputAsync(host!, $"r{run}-tput-relay-", n, cancellationToken);
        var (seqRate, seqPublishedRate, _) = await RelayThroughputAsync(sequential!, $"r{run}-tput-seq-", n, cancellationToken);
        var relayBacklog = await RelayBacklogAsync(host!, $"r{run}-backlog-relay-", n, cancellationToken);
        var seqBacklog = await RelayBacklogAsync(sequential!, $"r{run}-backlog-seq-", n, cancellationToken);
        var (rawRate, rawPublishedRate) = await RawThroughputAsync($"r{run}-tput-raw-", n, echo: false, cancellationToken);
        var (echoRate, _) = await RawThroughputAsync($"r{run}-tput-echo-", n, echo: true, cancellationToken);

        return new Measurements
        {
            ["relay.lat.p50"] = relay.P50, ["relay.lat.p99"] = relay.P99,
            ["relay.pickup.p50"] = pickup.P50, ["relay.pickup.p99"] = pickup.P99,
            ["relay.publish.p50"] = publish.P50,
            ["relay.deliver.p50"] = deliver.P50, ["relay.deliver.p99"] = deliver.P99,
            ["relay.commit.p50"] = commit.P50,
            ["relay.pickup.fastpoll"] = pickup.ShareAtLeast(200) - pickup.ShareAtLeast(900),
            ["relay.pickup.slowpoll"] = pickup.ShareAtLeast(900),
            ["relay.publish.p99"] = publish.P99,
            ["raw.lat.p50"] = raw.P50, ["raw.lat.p99"] = raw.P99,
            ["raw.publish.p50"] = rawPublish.P50, ["raw.publish.p99"] = rawPublish.P99,
            ["echo.lat.p50"] = echo.P50, ["echo.lat.p99"] = echo.P99,
            ["relay.tput"] = relayRate, ["relay.tput.published"] = relayPublishedRate, ["relay.tput.committed"] = relayCommittedRate,
            ["seq.tput"] = seqRate, ["seq.tput.published"] = seqPublishedRate,
            ["relay.backlog"] = relayBacklog, ["seq.backlog"] = seqBacklog,
            ["raw.tput"] = rawRate, ["raw.tput.published"] = rawPublishedRate,
            ["echo.tput"] = echoRate,
        };
    }

    /// <returns>Messages per second until all were consumed, until all were published by the relay, and until all were
    /// committed (the rate the relay cannot exceed).</returns>
    private async Task<(double Consumed, double Published, double Committed)> RelayThroughputAsync(RelayHost host, string prefix, int count,
        CancellationToken cancellationToken)
    {
        var batch = host.Arrivals.StartBatch(prefix, count);
        try
        {
            var start = Clock.Now;
            for (var first = 0; first < count; first += options.RelayCommitBatch)
            {
                await using var session = host.Store.LightweightSession();
                for (var i = first; i < Math.Min(count, first + options.RelayCommitBatch); i++)
                    session.Events.Append($"note:{prefix}{i}", new BenchNoteWritten($"{prefix}{i}"));
                await session.SaveChangesAsync(cancellationToken);
            }
            var committed = Clock.Now;
            var consumed = await WaitBatch(batch.AllConsumed, batch, cancellationToken);
            var published = await batch.AllPublished.Task.WaitAsync(options.WaitLimit, cancellationToken);
            return (count / (Clock.Ms(start, consumed) / 1000), count / (Clock.Ms(start, published) / 1000),
                count / (Clock.Ms(start, committed) / 1000));
        }
        finally
        {
            host.Arrivals.EndBatch();
        }
    }

    /// <summary>The relay's own ceiling, without the commits' pace: <paramref name="count"/> events committed in one
    /// transaction (the daemon then reads them page by page), timed from the commit until the relay has published all.</summary>
    private async Task<double> RelayBacklogAsync(RelayHost host, string prefix, int count, CancellationToken cancellationToken)
    {
        var batch = host.Arrivals.StartBatch(prefix, count);
        try
        {
            await using (var session = host.Store.LightweightSession())
            {
                for (var i = 0; i < count; i++)
                    session.Events.Append($"note:{prefix}{i}", new BenchNoteWritten($"{prefix}{i}"));
                await session.SaveChangesAsync(cancellationToken);
            }
            var committed = Clock.Now;
            var published = await batch.AllPublished.Task.WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
            await WaitBatch(batch.AllConsumed, batch, cancellationToken);
            return count / (Clock.Ms(committed, published) / 1000);
        }
        finally
        {
            host.Arrivals.EndBatch();
        }
    }

    private async Task<(double Consumed, double Published)> RawThroughputAsync(string prefix, int count, bool echo,
        CancellationToken cancellationToken)
    {
        var batch = host!.Arrivals.StartBatch(prefix, count);
        try
        {
            using var window = new SemaphoreSlim(options.RawInFlight);
            var start = Clock.Now;
            var publishes = new List<Task>(count);
            for (var i = 0; i < count; i++)
            {
                await window.WaitAsync(cancellationToken);
                var id = $"{prefix}{i}";
                publishes.Add(PublishAndRelease(echo ? new BenchEcho(id) : new BenchPing(id)));
            }
            await Task.WhenAll(publishes);
            var published = Clock.Now;
            var consumed = await WaitBatch(batch.AllConsumed, batch, cancellationToken);
            return (count / (Clock.Ms(start, consumed) / 1000), count / (Clock.Ms(start, published) / 1000));

            async Task PublishAndRelease(object message)
            {
                try
                {
                    await host.Bus.Publish(message, message.GetType(), cancellationToken);
                }
                finally
                {
                    window.Release();
                }
            }
        }
        finally
        {
            host.Arrivals.EndBatch();
        }
    }

    private async Task<long> WaitBatch(TaskCompletionSource<long> done, Arrivals.Batch batch, CancellationToken cancellationToken)
    {
        try
        {
            return await done.Task.WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Only {batch.Consumed} messages of batch {batch.Prefix} were consumed within 120 s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (host is not null) await host.DisposeAsync();
        if (sequential is not null) await sequential.DisposeAsync();
        if (broker is not null) await broker.DisposeAsync();
        if (sequentialBroker is not null) await sequentialBroker.DisposeAsync();
    }
}
