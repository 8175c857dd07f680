namespace KeyPlatform.Benchmarks.Harness;

/// <summary>Latency samples in milliseconds; percentiles by the nearest-rank method (p99 of 300 samples is the
/// 297th smallest, so it is a real observed value, never an interpolation).</summary>
internal sealed class Samples
{
    private readonly List<double> values = [];

    public int Count => values.Count;

    public void Add(double milliseconds) => values.Add(milliseconds);

    public double Percentile(double percentile)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    public double P50 => Percentile(50);

    public double P99 => Percentile(99);

    /// <summary>Percentage of samples at or above <paramref name="milliseconds"/>.</summary>
    public double ShareAtLeast(double milliseconds) =>
        values.Count == 0 ? double.NaN : 100.0 * values.Count(v => v >= milliseconds) / values.Count;

    public double Max => values.Count == 0 ? double.NaN : values.Max();

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
