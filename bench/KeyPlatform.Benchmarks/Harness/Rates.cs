namespace KeyPlatform.Benchmarks.Harness;

/// <summary>Operations per second of one operation run by N concurrent callers, in a loop bounded by both time and
/// count. A warm-up of the same shape runs first and is not counted.</summary>
internal static class Rates
{
    public static async Task<double> OpsPerSecondAsync(int callers, Func<int, ValueTask> operation, TimeSpan warmUp,
        TimeSpan duration, long maxOps, CancellationToken cancellationToken)
    {
        await RunAsync(callers, operation, warmUp, maxOps, cancellationToken);
        var (ops, seconds) = await RunAsync(callers, operation, duration, maxOps, cancellationToken);
        return ops / seconds;
    }

    private static async Task<(long Ops, double Seconds)> RunAsync(int callers, Func<int, ValueTask> operation,
        TimeSpan duration, long maxOps, CancellationToken cancellationToken)
    {
        long ops = 0;
        var perCaller = Math.Max(1, maxOps / callers);
        var start = Clock.Now;
        var ends = await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            for (long done = 0; done < perCaller; done++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await operation(caller);
                Interlocked.Increment(ref ops);
                if (Clock.SecondsSince(start) >= duration.TotalSeconds) break;
            }
            return Clock.Now;
        }, cancellationToken)));
        return (Interlocked.Read(ref ops), Clock.Ms(start, ends.Max()) / 1000.0);
    }
}
