using System.Diagnostics;

namespace KeyPlatform.Benchmarks.Harness;

/// <summary>Monotonic timestamps (<see cref="Stopwatch"/> ticks) and the milliseconds between two of them.</summary>
internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static double SecondsSince(long from) => (Now - from) / (double)Stopwatch.Frequency;
}
