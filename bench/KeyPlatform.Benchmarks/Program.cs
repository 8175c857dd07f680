using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using KeyPlatform.Benchmarks.Activation;
using KeyPlatform.Benchmarks.Dashboard;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Benchmarks.Lock;
using KeyPlatform.Benchmarks.Micro;
using KeyPlatform.Benchmarks.Rebuild;
using KeyPlatform.Benchmarks.Relay;
using KeyPlatform.Benchmarks.Vault;
using KeyPlatform.Testing;
using Npgsql;

namespace KeyPlatform.Benchmarks;

public static class Program
{
    private static readonly string[] AllSuites = ["relay", "vault", "activation", "micro"];
    private static readonly string[] Experiments = ["relay-polling", "lock", "rebuild", "dashboard"];

    private const string Usage = """
        Key Platform benchmarks: speed as ratios against baselines measured in the same run.

        usage: dotnet run -c Release --project bench/KeyPlatform.Benchmarks -- SUITE... [options]

        suites:
          relay        Marten → IntegrationEventRelay → RabbitMQ → idempotent consumer, beside raw MassTransit
          vault        IKeyVault wrap/unwrap (AddKeyVault: resilient over local, on PostgreSQL), beside raw RSA;
                       with the SoftHSM token in the environment also PKCS#11 wrap/unwrap beside raw C_Encrypt/
                       C_Decrypt (on a private token: few keys, then --hsm-keys more) and a rewrap of
                       --rewrap-environments data keys beside raw C_Decrypt (+ C_Encrypt)
          activation   KeyService over HTTP: upload .pfx → key Active, beside the raw parts (PFX load + RSA)
          micro        BenchmarkDotNet on the bare crypto operations
          all          all of the above

        experiments (not part of all):
          relay-polling  the relay as configured beside one with the daemon's fallback polling shortened,
                         with the database quiet, then with a neighbour store appending
          lock           TenantLock over HTTP, the three services as processes (build -c Release first): lock a
                         tenant with N environments under its key, then unlock it, beside N Marten appends and
                         N RSA decrypts (--environments N, default 10000)
          rebuild        KeyService's key inventory rebuilt by the operator endpoint (Marten's daemon) over N seeded
                         events, beside a raw read of the same events from PostgreSQL (--events N, default 1000000)
          dashboard      TenantLock's dashboard GET under 100 concurrent readers, the three services as processes
                         (build -c Release first), beside /health/live and each upstream read alone

        options:
          --runs N         measure each suite N times (after one warm-up) and report medians (default 1)
          --quick          small counts, for a smoke run only (figures too rough to quote)
          --out FILE       also write the results table (Markdown) to FILE
          --max-minutes M  stop the whole run after M minutes (default 15)
          --verbose        show BenchmarkDotNet's own log
          --environments N environments under the tenant key for the lock suite (default 10000)
          --events N       events seeded for the rebuild suite (default 1000000)
          --hsm-keys N     other tenant keys on the vault suite's SoftHSM token for its "many keys" rows (default 2000)
          --rewrap-environments N  data keys the vault suite's PKCS#11 rewrap moves (default 10000)

        Needs PostgreSQL and RabbitMQ as started by scripts/infra.sh up (same variables as the tests).
        """;

    public static async Task<int> Main(string[] args)
    {
        var suites = new List<string>();
        var runs = 1;
        var quick = false;
        var verbose = false;
        string? outFile = null;
        var maxMinutes = 15.0;
        var lockEnvironments = 10_000;
        var rebuildEvents = 1_000_000;
        var hsmKeys = 2_000;
        var rewrapEnvironments = 10_000;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "all": suites.AddRange(AllSuites); break;
                case var suite when AllSuites.Contains(suite) || Experiments.Contains(suite): suites.Add(suite); break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is >= 1 and <= 10: runs = n; i++; break;
                case "--quick": quick = true; break;
                case "--verbose": verbose = true; break;
                case "--environments" when i + 1 < args.Length && int.TryParse(args[i + 1], out var e) && e is >= 1 and <= 100_000: lockEnvironments = e; i++; break;
                case "--events" when i + 1 < args.Length && int.TryParse(args[i + 1], out var ev) && ev is >= 1_000 and <= 20_000_000: rebuildEvents = ev; i++; break;
                case "--hsm-keys" when i + 1 < args.Length && int.TryParse(args[i + 1], out var hk) && hk is >= 0 and <= 100_000: hsmKeys = hk; i++; break;
                case "--rewrap-environments" when i + 1 < args.Length && int.TryParse(args[i + 1], out var re) && re is >= 1 and <= 1_000_000: rewrapEnvironments = re; i++; break;
                case "--out" when i + 1 < args.Length: outFile = args[++i]; break;
                case "--max-minutes" when i + 1 < args.Length
                    && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0:
                    maxMinutes = m; i++; break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'.\n\n{Usage}");
                    return 64;
            }
        }
        if (suites.Count == 0)
        {
            Console.Error.WriteLine(Usage);
            return 64;
        }
        suites = suites.Distinct().ToList();
        if (outFile is not null) outFile = Path.GetFullPath(outFile);
        // WebApplicationFactory finds the KeyService's content root through MvcTestingAppManifest.json in the
        // current directory; `dotnet run --project` starts in the caller's directory, so move next to the program.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);

#if DEBUG
        Console.Error.WriteLine("Warning: a Debug build. Run with -c Release; figures from a Debug build mean nothing.");
#endif
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(maxMinutes));
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var environment = await DescribeEnvironmentAsync(stop.Token);
        if (environment is null) return 2;
        Console.WriteLine(environment);

        var options = new BenchOptions(runs, quick) { HsmKeys = hsmKeys, RewrapEnvironments = rewrapEnvironments };
        var results = new List<SuiteResult>();
        var failed = false;
        var total = Stopwatch.StartNew();
        foreach (var name in suites)
        {
            ISuite suite = name switch
            {
                "relay" => new RelaySuite(options),
                "relay-polling" => new RelayPollingSuite(options),
                "vault" => new VaultSuite(options),
                "activation" => new ActivationSuite(options),
                "micro" => new MicroSuite(options, verbose),
                "lock" => new LockSuite(lockEnvironments),
                "rebuild" => new RebuildSuite(rebuildEvents),
                "dashboard" => new DashboardSuite(options),
                _ => throw new InvalidOperationException(name),
            };
            var result = new SuiteResult(suite.Name, suite.Title, suite.Rows);
            var loadBefore = LoadAverage();
            var watch = Stopwatch.StartNew();
            try
            {
                await using (suite)
                {
                    Progress($"{suite.Name}: setting up and warming up");
                    await suite.SetUpAsync(stop.Token);
                    var suiteRuns = suite.RunsOnce ? 1 : runs;
                    for (var run = 0; run < suiteRuns; run++)
                    {
                        Progress($"{suite.Name}: run {run + 1} of {suiteRuns}");
                        result.Runs.Add(await suite.RunAsync(run, stop.Token));
                    }
                    result.Notes.AddRange(suite.Notes);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failed = true;
                var reason = stop.IsCancellationRequested ? $"stopped after {maxMinutes} minute(s) or by Ctrl+C" : e.ToString();
                Console.Error.WriteLine($"Suite {name} failed: {reason}");
                result.Notes.Add($"**Failed** after {result.Runs.Count} run(s): {e.GetType().Name}: {e.Message}");
            }
            result.Elapsed = watch.Elapsed;
            if (loadBefore is not null)
                result.Notes.Add($"Load average (1 min) of the machine before / after the suite: {loadBefore} / {LoadAverage()} " +
                                 $"(it counts everything on the {Environment.ProcessorCount} cores, PostgreSQL and RabbitMQ included).");
            results.Add(result);
            Progress($"{suite.Name}: done in {watch.Elapsed.TotalSeconds:0} s");
            if (stop.IsCancellationRequested) break;
        }

        var table = new StringBuilder()
            .AppendLine(environment)
            .AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project bench/KeyPlatform.Benchmarks -- {string.Join(' ', args)}`")
            .AppendLine(CultureInfo.InvariantCulture, $"Total: {total.Elapsed.TotalSeconds:0} s. Ratio = value / baseline, both measured in the same run (median over runs of the per-run ratio).")
            .AppendLine()
            .Append(ResultTable.Render(results))
            .ToString();
        Console.WriteLine();
        Console.WriteLine(table);
        if (outFile is not null) await File.WriteAllTextAsync(outFile, table, CancellationToken.None);
        return failed ? 1 : 0;
    }

    /// <summary>The 1-minute load average on Linux; null elsewhere.</summary>
    private static string? LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Progress(string line) =>
        Console.WriteLine($"» {DateTime.Now:HH:mm:ss} {line}");

    /// <summary>The machine, and proof that PostgreSQL and RabbitMQ answer; null (with the reason) when they do not.</summary>
    private static async Task<string?> DescribeEnvironmentAsync(CancellationToken cancellationToken)
    {
        string postgres;
        string rabbit;
        try
        {
            await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var version = new NpgsqlCommand("show server_version", connection);
            postgres = (string)(await version.ExecuteScalarAsync(cancellationToken))!;

            using var http = new HttpClient
            {
                BaseAddress = new Uri($"http://{TestInfrastructure.RabbitHost}:{TestInfrastructure.RabbitManagementPort}/api/"),
                Timeout = TimeSpan.FromSeconds(10),
            };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestInfrastructure.RabbitUser}:{TestInfrastructure.RabbitPassword}")));
            using var overview = JsonDocument.Parse(await http.GetStringAsync("overview", cancellationToken));
            rabbit = overview.RootElement.GetProperty("rabbitmq_version").GetString() ?? "?";
        }
        catch (Exception e) when (e is NpgsqlException or HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"PostgreSQL or RabbitMQ is not reachable ({e.Message}). Start them with: scripts/infra.sh up");
            return null;
        }
        return $"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; " +
               $"PostgreSQL {postgres}, RabbitMQ {rabbit} on loopback. {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.";
    }
}
