using System.Collections.Concurrent;
using KeyPlatform.Benchmarks.Harness;
using MassTransit;

namespace KeyPlatform.Benchmarks.Relay;

/// <summary>Where the bus tells the harness when a message it waits for was published and consumed. Timestamps are
/// taken in MassTransit's observers, on the bus's own threads, so the harness's scheduling adds nothing.</summary>
public sealed class Arrivals
{
    private readonly ConcurrentDictionary<string, Pending> pending = new(StringComparer.Ordinal);
    private volatile Batch? batch;

    public sealed class Pending
    {
        private long prePublish;

        /// <summary>When the publish call returned (the broker confirmed). The consumer may finish before that.</summary>
        public TaskCompletionSource<long> Published { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<long> Consumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When the message was handed to the bus; 0 until then.</summary>
        public long PrePublish => Interlocked.Read(ref prePublish);

        internal void StampPrePublish(long now) => Interlocked.CompareExchange(ref prePublish, now, 0);
    }

    /// <summary>A run of <c>count</c> messages whose ids start with <c>prefix</c>.</summary>
    public sealed class Batch(string prefix, int count)
    {
        private int published;
        private int consumed;

        public string Prefix { get; } = prefix;

        public TaskCompletionSource<long> AllPublished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<long> AllConsumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Consumed => Volatile.Read(ref consumed);

        internal void OnPublished(long now)
        {
            if (Interlocked.Increment(ref published) == count) AllPublished.TrySetResult(now);
        }

        internal void OnConsumed(long now)
        {
            if (Interlocked.Increment(ref consumed) == count) AllConsumed.TrySetResult(now);
        }
    }

    /// <summary>Starts watching one message; <see cref="Forget"/> it once its stamps are read.</summary>
    public Pending Expect(string id) => pending[id] = new Pending();

    public void Forget(string id) => pending.TryRemove(id, out _);

    public Batch StartBatch(string prefix, int count) => batch = new Batch(prefix, count);

    public void EndBatch() => batch = null;

    internal void OnPrePublish(string id)
    {
        var now = Clock.Now;
        if (pending.TryGetValue(id, out var waiting)) waiting.StampPrePublish(now);
        if (batch is { } current && id.StartsWith(current.Prefix, StringComparison.Ordinal)) current.OnPublished(now);
    }

    internal void OnPostPublish(string id)
    {
        if (pending.TryGetValue(id, out var waiting)) waiting.Published.TrySetResult(Clock.Now);
    }

    internal void OnConsumed(string id)
    {
        var now = Clock.Now;
        if (pending.TryGetValue(id, out var waiting)) waiting.Consumed.TrySetResult(now);
        if (batch is { } current && id.StartsWith(current.Prefix, StringComparison.Ordinal)) current.OnConsumed(now);
    }
}

/// <summary>Stamps the consumption of benchmark messages, after the consumer (and its transaction) completed.</summary>
public sealed class ArrivalConsumeObserver(Arrivals arrivals) : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        switch (context.Message)
        {
            case BenchPing ping: arrivals.OnConsumed(ping.Id); break;
            case BenchEcho echo: arrivals.OnConsumed(echo.Id); break;
        }
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}

/// <summary>Stamps when a ping is handed to the bus (by the relay, or by the baseline) and when the broker took it.</summary>
public sealed class ArrivalPublishObserver(Arrivals arrivals) : IPublishObserver
{
    public Task PrePublish<T>(PublishContext<T> context) where T : class
    {
        if (context.Message is BenchPing ping) arrivals.OnPrePublish(ping.Id);
        return Task.CompletedTask;
    }

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        if (context.Message is BenchPing ping) arrivals.OnPostPublish(ping.Id);
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
