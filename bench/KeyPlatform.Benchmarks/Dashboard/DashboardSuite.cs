using System.Globalization;
using System.Text.Json;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;

namespace KeyPlatform.Benchmarks.Dashboard;

/// <summary>Issue 6's second measure: the dashboard's backend-for-frontend (TenantLock's <c>GET /v1/dashboard/tenants/{t}</c>,
/// which reads KeyService's key inventory and EnvironmentEncryption's environments with the caller's token, and its
/// own lock cycles) under 100 concurrent readers, the three services as processes (<see cref="RunningSystem"/>, Release
/// build). Baselines in the same run, same 100 readers, same tenant and token: TenantLock's <c>/health/live</c> (the
/// host's HTTP floor), and each of the two upstream reads called alone. Windows are interleaved: dashboard, the three
/// baselines, dashboard again.</summary>
internal sealed class DashboardSuite(BenchOptions options) : ISuite
{
    private const string Region = "europe";
    private const int Environments = 5;
    private const int Readers = 100;
    private const int MaxRequestsPerReader = 100_000;

    private readonly List<string> notes = [];
    private RunningSystem? system;
    private string tenant = "";
    private double startSeconds;
    private HttpClient? dashboard, health, keys, environments;
    private long failedPanels;
    private long errors;

    private TimeSpan DashboardWindow => TimeSpan.FromSeconds(options.Quick ? 3 : 10);
    private TimeSpan BaselineWindow => TimeSpan.FromSeconds(options.Quick ? 2 : 5);
    private TimeSpan WarmUp => TimeSpan.FromSeconds(options.Quick ? 1 : 3);

    public string Name => "dashboard";

    public string Title => "TenantLock: dashboard reads, 100 concurrent readers";

    public IEnumerable<string> Notes => notes;

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("dashboard GET, p50", "ms", "dash.p50", "TenantLock /health/live, p50", "health.p50"),
        new("dashboard GET, p99", "ms", "dash.p99", "TenantLock /health/live, p99", "health.p99"),
        new("dashboard GET, throughput", "req/s", "dash.rps", "TenantLock /health/live", "health.rps"),
        new("dashboard GET, p50", "ms", "dash.p50", "KeyService key inventory alone, p50", "keys.p50"),
        new("dashboard GET, p99", "ms", "dash.p99", "KeyService key inventory alone, p99", "keys.p99"),
        new("dashboard GET, throughput", "req/s", "dash.rps", "KeyService key inventory alone", "keys.rps"),
        new("dashboard GET, p50", "ms", "dash.p50", "EnvironmentEncryption environments alone, p50", "envs.p50"),
        new("dashboard GET, p99", "ms", "dash.p99", "EnvironmentEncryption environments alone, p99", "envs.p99"),
        new("dashboard GET, throughput", "req/s", "dash.rps", "EnvironmentEncryption environments alone", "envs.rps"),
        new("dashboard answers with a degraded panel", "%", "dash.degraded"),
        new("dashboard answers non-2xx", "%", "dash.errors"),
        new("key inventory alone answers non-2xx", "%", "keys.errors"),
        new("environments alone answer non-2xx", "%", "envs.errors"),
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        var start = Clock.Now;
        system = await RunningSystem.StartAsync();
        startSeconds = Clock.SecondsSince(start);
        tenant = await DashboardTenant.CreateAsync(system, Region, Environments, cancellationToken);
        dashboard = system.Client(system.Locks, tenant, PlatformRoles.PowerPlatformAdmin);
        keys = system.Client(system.Keys, tenant, PlatformRoles.PowerPlatformAdmin);
        environments = system.Client(system.Environments, tenant, PlatformRoles.PowerPlatformAdmin);
        health = new HttpClient { BaseAddress = system.Locks.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        // The dashboard must show the tenant whole before it is measured.
        using (var view = JsonDocument.Parse(await dashboard.GetStringAsync(DashboardPath, cancellationToken)))
        {
            var root = view.RootElement;
            var keysOk = root.GetProperty("keys").GetProperty("status").GetString() == "ok";
            var total = root.GetProperty("environments").GetProperty("data").GetProperty("total").GetInt64();
            if (!keysOk || total != Environments)
                throw new InvalidOperationException($"The dashboard does not show the tenant whole: {root.GetRawText()[..Math.Min(400, root.GetRawText().Length)]}");
        }
        foreach (var (client, path, check) in Targets) await WindowAsync(client, path, check, WarmUp, cancellationToken);
    }

    private string DashboardPath => $"/v1/dashboard/tenants/{tenant}";

    private IEnumerable<(HttpClient Client, string Path, bool Check)> Targets =>
    [
        (dashboard!, DashboardPath, true),
        (health!, "/health/live", false),
        (keys!, $"/v1/tenants/{tenant}/keys", false),
        (environments!, $"/v1/tenants/{tenant}/environments?pageSize=500", false),
    ];

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        failedPanels = 0;
        var dash1 = await WindowAsync(dashboard!, DashboardPath, true, DashboardWindow, cancellationToken);
        var healthWindow = await WindowAsync(health!, "/health/live", false, BaselineWindow, cancellationToken);
        var keysWindow = await WindowAsync(keys!, $"/v1/tenants/{tenant}/keys", false, BaselineWindow, cancellationToken);
        var envsWindow = await WindowAsync(environments!, $"/v1/tenants/{tenant}/environments?pageSize=500", false, BaselineWindow, cancellationToken);
        var dash2 = await WindowAsync(dashboard!, DashboardPath, true, DashboardWindow, cancellationToken);

        var dash = new Samples();
        foreach (var value in dash1.Latencies.Concat(dash2.Latencies)) dash.Add(value);
        var m = new Measurements
        {
            ["dash.p50"] = dash.P50, ["dash.p99"] = dash.P99,
            ["dash.rps"] = (dash1.Latencies.Count + dash2.Latencies.Count) / (dash1.Seconds + dash2.Seconds),
            ["dash.degraded"] = 100.0 * failedPanels / dash.Count,
            ["dash.errors"] = 100.0 * (dash1.Errors + dash2.Errors) / dash.Count,
        };
        Add(m, "health", healthWindow);
        Add(m, "keys", keysWindow);
        Add(m, "envs", envsWindow);
        Console.WriteLine("  " + string.Join(", ", m.Select(kv => $"{kv.Key}={kv.Value.ToString("0.##", CultureInfo.InvariantCulture)}")));
        if (run == 0)
        {
            notes.Add($"{Readers} readers, each one request at a time in a loop, over loopback from this process (one `HttpClient` per target, " +
                      $"a connection per reader). Per run: dashboard {DashboardWindow.TotalSeconds:0} s, then /health/live, key inventory " +
                      $"and environments {BaselineWindow.TotalSeconds:0} s each, then dashboard {DashboardWindow.TotalSeconds:0} s again " +
                      $"(p50/p99 over both dashboard windows); {WarmUp.TotalSeconds:0} s warm-up of each before the first run. " +
                      $"The tenant has 1 Active key in 1 region and {Environments} environments under it, no lock cycle. Three services as " +
                      $"processes (Release build), started in {startSeconds:0.0} s; the load generator shares the machine's " +
                      $"{Environment.ProcessorCount} cores with them, PostgreSQL and RabbitMQ.");
            notes.Add("A dashboard answer counts as degraded when a panel is not `ok` (an upstream call timed out, failed or was refused). " +
                      "Non-2xx answers are counted (and their latency kept in the percentiles); the first one is printed.");
        }
        return m;
    }

    private static void Add(Measurements m, string key, Window window)
    {
        var samples = new Samples();
        foreach (var value in window.Latencies) samples.Add(value);
        m[$"{key}.p50"] = samples.P50;
        m[$"{key}.p99"] = samples.P99;
        m[$"{key}.rps"] = window.Latencies.Count / window.Seconds;
        m[$"{key}.errors"] = 100.0 * window.Errors / Math.Max(1, window.Latencies.Count);
    }

    private sealed record Window(List<double> Latencies, long Errors, double Seconds);

    private sealed class ReaderErrors
    {
        public long Errors { get; set; }
    }

    /// <summary><see cref="Readers"/> concurrent readers of one path for <paramref name="duration"/> (and at most
    /// <see cref="MaxRequestsPerReader"/> each); every latency in milliseconds.</summary>
    private async Task<Window> WindowAsync(HttpClient client, string path, bool checkPanels, TimeSpan duration, CancellationToken ct)
    {
        var start = Clock.Now;
        var perReader = await Task.WhenAll(Enumerable.Range(0, Readers).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var window = new ReaderErrors();
            for (var i = 0; i < MaxRequestsPerReader && Clock.SecondsSince(start) < duration.TotalSeconds; i++)
            {
                var sent = Clock.Now;
                using var response = await client.GetAsync(path, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                latencies.Add(Clock.Ms(sent, Clock.Now));
                if (!response.IsSuccessStatusCode)
                {
                    if (Interlocked.Increment(ref errors) == 1)
                        Console.WriteLine($"  first error: GET {path} answered {(int)response.StatusCode}: {body[..Math.Min(200, body.Length)]}");
                    window.Errors++;
                }
                else if (checkPanels && Degraded(body)) Interlocked.Increment(ref failedPanels);
            }
            return (Latencies: latencies, Errors: window.Errors, End: Clock.Now);
        }, ct)));
        return new Window(perReader.SelectMany(r => r.Latencies).ToList(), perReader.Sum(r => r.Errors),
            Clock.Ms(start, perReader.Max(r => r.End)) / 1000);
    }

    private static bool Degraded(string body) =>
        body.Contains("\"status\":\"unavailable\"", StringComparison.Ordinal)
        || body.Contains("\"status\":\"error\"", StringComparison.Ordinal)
        || body.Contains("\"status\":\"forbidden\"", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        dashboard?.Dispose();
        health?.Dispose();
        keys?.Dispose();
        environments?.Dispose();
        if (system is not null) await system.DisposeAsync();
    }
}
