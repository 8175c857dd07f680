using System.Globalization;
using System.Text;

namespace KeyPlatform.Benchmarks.Harness;

/// <summary>One line of the results table: a measured figure, and optionally the baseline it is divided by. Both are
/// looked up by key in every run's <see cref="Measurements"/>; the ratio is computed within each run (subject and
/// baseline measured side by side) and the table shows the median over runs.</summary>
internal sealed record Row(string Measure, string Unit, string Key, string? BaselineMeasure = null, string? BaselineKey = null);

/// <summary>What one run of a suite measured, by key.</summary>
internal sealed class Measurements : Dictionary<string, double>
{
    public Measurements() : base(StringComparer.Ordinal) { }
}

internal sealed class SuiteResult(string suite, string title, IReadOnlyList<Row> rows)
{
    public string Suite { get; } = suite;
    public string Title { get; } = title;
    public IReadOnlyList<Row> Rows { get; } = rows;
    public List<Measurements> Runs { get; } = [];
    public List<string> Notes { get; } = [];
    public TimeSpan Elapsed { get; set; }
}

internal static class ResultTable
{
    public static string Render(IEnumerable<SuiteResult> results)
    {
        var text = new StringBuilder();
        foreach (var suite in results)
        {
            var runs = suite.Runs.Count;
            var spread = runs > 1 ? " | min–max over runs" : "";
            var spreadRule = runs > 1 ? " | ---" : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"### {suite.Title} (`{suite.Suite}`, {suite.Runs.Count} run(s), {suite.Elapsed.TotalSeconds:0} s)");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"| measure | value | baseline, same run | ratio{spread} |");
            text.AppendLine(CultureInfo.InvariantCulture, $"| --- | ---: | --- | ---:{spreadRule} |");
            foreach (var row in suite.Rows)
            {
                var values = suite.Runs.Select(r => r.GetValueOrDefault(row.Key, double.NaN)).ToList();
                var value = Samples.Median(values);
                var baseline = "";
                var ratio = "";
                if (row.BaselineKey is { } baselineKey)
                {
                    var baselineValue = Samples.Median(suite.Runs.Select(r => r.GetValueOrDefault(baselineKey, double.NaN)));
                    baseline = $"{row.BaselineMeasure}: {Format(baselineValue, row.Unit)}";
                    var ratios = suite.Runs.Select(r => r.GetValueOrDefault(row.Key, double.NaN) / r.GetValueOrDefault(baselineKey, double.NaN));
                    ratio = FormatRatio(Samples.Median(ratios));
                }
                var range = runs > 1
                    ? $" | {Format(values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min(), row.Unit)} – {Format(values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max(), row.Unit)}"
                    : "";
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Measure} | {Format(value, row.Unit)} | {baseline} | {ratio}{range} |");
            }
            foreach (var note in suite.Notes) text.AppendLine(CultureInfo.InvariantCulture, $"\n{note}");
            text.AppendLine();
        }
        return text.ToString();
    }

    public static string Format(double value, string unit)
    {
        if (double.IsNaN(value)) return "n/a";
        return unit switch
        {
            "ms" when value < 1 => value.ToString("0.000", CultureInfo.InvariantCulture) + " ms",
            "ms" when value < 10 => value.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
            "ms" => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
            "%" => value.ToString("0.0", CultureInfo.InvariantCulture) + " %",
            "us" => value.ToString("0.0", CultureInfo.InvariantCulture) + " µs",
            _ => value.ToString("N0", CultureInfo.InvariantCulture) + " " + unit,
        };
    }

    private static string FormatRatio(double ratio) =>
        double.IsNaN(ratio) ? "n/a"
        : ratio >= 10 ? ratio.ToString("0", CultureInfo.InvariantCulture) + "×"
        : ratio >= 0.1 ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×"
        : ratio.ToString("0.000", CultureInfo.InvariantCulture) + "×";
}
