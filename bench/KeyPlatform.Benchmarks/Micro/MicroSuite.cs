using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using KeyPlatform.Benchmarks.Harness;
using Perfolizer.Horology;

namespace KeyPlatform.Benchmarks.Micro;

/// <summary>BenchmarkDotNet on the bare crypto operations (in-process, short job): a cross-check of the raw baselines
/// the other suites measure with the hand-written harness, and the numbers behind the vault's design choices.</summary>
internal sealed class MicroSuite(BenchOptions options, bool verbose) : ISuite
{
    public string Name => "micro";

    public string Title => "Crypto micro-benchmarks (BenchmarkDotNet)";

    public bool RunsOnce => true;

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("RSA-2048 OAEP-SHA256 encrypt (wrap)", "us", nameof(CryptoMicroBenchmarks.RsaEncrypt)),
        new("RSA-2048 OAEP-SHA256 decrypt (unwrap)", "us", nameof(CryptoMicroBenchmarks.RsaDecrypt)),
        new("RSA public key import + encrypt (vault wrap, CPU part)", "us", nameof(CryptoMicroBenchmarks.PublicKeyImportEncrypt),
            "RSA encrypt", nameof(CryptoMicroBenchmarks.RsaEncrypt)),
        new("AES-256-GCM open of a sealed PKCS#8 (vault wrap check)", "us", nameof(CryptoMicroBenchmarks.SealOpen)),
        new("PKCS#8 private key import", "us", nameof(CryptoMicroBenchmarks.Pkcs8Import), "RSA decrypt", nameof(CryptoMicroBenchmarks.RsaDecrypt)),
        new("PFX load (LoadPkcs12 + GetRSAPrivateKey)", "us", nameof(CryptoMicroBenchmarks.PfxLoad)),
        new("KeyFileReader.ReadPfx (K2 checks)", "us", nameof(CryptoMicroBenchmarks.ReadPfx), "PFX load", nameof(CryptoMicroBenchmarks.PfxLoad)),
    ];

    public IEnumerable<string> Notes =>
    [
        "Mean time per operation, one thread, BenchmarkDotNet " +
        (options.Quick ? "dry job (one iteration; smoke only)." : "short job in-process (3 warm-up + 3 measured iterations of 250 ms).") +
        " Runs once whatever `--runs` says: BenchmarkDotNet repeats internally.",
    ];

    public Task SetUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        var job = (options.Quick ? Job.Dry : Job.ShortRun.WithIterationTime(TimeInterval.FromMilliseconds(250)))
            .WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(verbose ? ConsoleLogger.Default : NullLogger.Instance)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "keyplatform-bench", "BenchmarkDotNet.Artifacts"));
        var summary = BenchmarkRunner.Run<CryptoMicroBenchmarks>(config);
        var measurements = new Measurements();
        foreach (var report in summary.Reports)
        {
            if (report.ResultStatistics is { } statistics)
                measurements[report.BenchmarkCase.Descriptor.WorkloadMethod.Name] = statistics.Mean / 1000.0;
        }
        if (measurements.Count == 0)
            throw new InvalidOperationException("BenchmarkDotNet produced no results; run with --verbose to see why.");
        return Task.FromResult(measurements);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
