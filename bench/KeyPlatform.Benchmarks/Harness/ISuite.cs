namespace KeyPlatform.Benchmarks.Harness;

/// <summary>A benchmark suite: set up once (hosts, keys, warm-up), then measured <c>--runs</c> times; each run
/// measures its subject and its baseline side by side.</summary>
internal interface ISuite : IAsyncDisposable
{
    string Name { get; }

    string Title { get; }

    IReadOnlyList<Row> Rows { get; }

    Task SetUpAsync(CancellationToken cancellationToken);

    Task<Measurements> RunAsync(int run, CancellationToken cancellationToken);

    /// <summary>Lines printed under the suite's table (sample counts, settings).</summary>
    IEnumerable<string> Notes { get; }

    /// <summary>True for a suite that repeats internally and is run once whatever <c>--runs</c> says.</summary>
    bool RunsOnce => false;
}
