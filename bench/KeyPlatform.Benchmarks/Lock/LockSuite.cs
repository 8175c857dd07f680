using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using JasperFx;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Benchmarks.Relay;
using KeyPlatform.Testing;
using Marten;
using Npgsql;

namespace KeyPlatform.Benchmarks.Lock;

/// <summary>Issue 5's measure: the three services as processes (<see cref="RunningSystem"/>, Release build), one tenant
/// with N environments under its key, then one lock cycle timed end to end over HTTP: POST lock → phase Locked, and
/// POST key unlock → key Active → every environment unlocked by its admin → phase Closed. Baselines in the same run:
/// N single-event Marten appends to new streams (the storage floor of "one environment's state changed") and N
/// RSA-OAEP-SHA256 decrypts (the crypto floor of unwrapping each environment's data key on unlock).</summary>
internal sealed class LockSuite(int environments) : ISuite
{
    private const int Parallelism = 16;
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly string baselineSchema = $"bench_lock_{TestInfrastructure.UniqueSuffix()}".Replace('-', '_');
    private readonly List<string> notes = [];
    private RunningSystem? system;
    private LockTenant? tenant;
    private DocumentStore? baselineStore;
    private double setupSeconds;
    private double startSeconds;

    public string Name => "lock";
    public string Title => $"TenantLock: lock and unlock {environments.ToString("N0", CultureInfo.InvariantCulture)} environments";
    public bool RunsOnce => true;
    public IEnumerable<string> Notes => notes;

    private const string AppendsBaseline = "N Marten single-event appends to new streams, 16 writers";
    private const string UnlockBaseline = "N appends + N RSA-OAEP-SHA256 decrypts (all cores)";

    public IReadOnlyList<Row> Rows =>
    [
        new("setup: start the three services (Release build, processes)", "s", "start-s"),
        new("setup: register N environments + apply the tenant key, 16 parallel, until all Active", "s", "setup-s", AppendsBaseline, "appends-s"),
        new("lock: POST lock → first environment locked", "ms", "lock-first-ms"),
        new("lock: POST lock → all N environments locked", "s", "lock-all-s"),
        new("lock: POST lock → phase Locked (keys deleted)", "s", "lock-s", AppendsBaseline, "appends-s"),
        new("lock rate: environments / (POST lock → Locked)", "env/s", "lock-rate", "Marten appends/s, 16 writers", "appends-rate"),
        new("unlock: POST key unlock → key Active", "ms", "unlock-key-ms"),
        new("unlock: key Active → all N environment unlocks accepted, 16 parallel", "s", "unlock-envs-s"),
        new("unlock: POST key unlock → phase Closed", "s", "unlock-s", UnlockBaseline, "unlock-floor-s"),
        new("unlock rate: environments / (POST key unlock → Closed)", "env/s", "unlock-rate", "Marten appends/s, 16 writers", "appends-rate"),
        new("baseline: RSA-OAEP-SHA256 decrypts, 2048-bit, all cores", "ops/s", "rsa-rate"),
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        var start = Clock.Now;
        system = await RunningSystem.StartAsync();
        startSeconds = Clock.SecondsSince(start);
        tenant = new LockTenant(system);
        await tenant.EnableAsync(TimeSpan.FromSeconds(60), cancellationToken);
        await tenant.UploadActiveKeyAsync(TimeSpan.FromSeconds(60), cancellationToken);
        Console.WriteLine($"  registering {environments} environments under the tenant key ({Parallelism} parallel)…");
        start = Clock.Now;
        await tenant.AddEnvironmentsUnderTenantKeyAsync(environments, Parallelism, TimeSpan.FromSeconds(120), cancellationToken);
        setupSeconds = Clock.SecondsSince(start);
        Console.WriteLine($"  {environments} environments Active under the tenant key in {setupSeconds:0.0} s");

        baselineStore = DocumentStore.For(options =>
        {
            options.Connection(TestInfrastructure.PostgresConnectionString);
            options.DatabaseSchemaName = baselineSchema;
            options.Events.DatabaseSchemaName = baselineSchema;
            options.Events.StreamIdentity = JasperFx.Events.StreamIdentity.AsString;
            options.Events.UseListenNotifyForEventAppends = true;
            options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        });
        await AppendsAsync(200, cancellationToken); // creates the schema and warms the path
        DecryptsPerSecond(200);
    }

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        var (sys, t) = (system!, tenant!);
        var m = new Measurements { ["start-s"] = startSeconds, ["setup-s"] = setupSeconds };

        // Baseline before the lock; a second one before the unlock; the mean of both is reported.
        var appendsBefore = await AppendsAsync(environments, cancellationToken);
        var rsaBefore = DecryptsPerSecond(environments);

        sys.Advance(TimeSpan.FromHours(72));
        Console.WriteLine("  locking…");
        var lockStart = Clock.Now;
        using (var response = await t.LockAsync(cancellationToken))
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"Lock refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        long? firstLocked = null, allLocked = null;
        await WatchAsync(t, lockStart, p =>
        {
            if (p.EnvironmentsLocked > 0) firstLocked ??= Clock.Now;
            if (p.EnvironmentsLocked >= environments) allLocked ??= Clock.Now;
            return p.Phase == "Locked";
        }, "phase Locked", cancellationToken);
        var lockSeconds = Clock.SecondsSince(lockStart);
        m["lock-first-ms"] = Clock.Ms(lockStart, firstLocked ?? Clock.Now);
        m["lock-all-s"] = Clock.Ms(lockStart, allLocked ?? Clock.Now) / 1000;
        m["lock-s"] = lockSeconds;
        m["lock-rate"] = environments / lockSeconds;
        Console.WriteLine($"  Locked after {lockSeconds:0.0} s");

        var appendsAfter = await AppendsAsync(environments, cancellationToken);
        var rsaAfter = DecryptsPerSecond(environments);
        var appendSeconds = (appendsBefore + appendsAfter) / 2;
        var rsaRate = (rsaBefore + rsaAfter) / 2;
        m["appends-s"] = appendSeconds;
        m["appends-rate"] = environments / appendSeconds;
        m["rsa-rate"] = rsaRate;
        m["unlock-floor-s"] = appendSeconds + environments / rsaRate;

        sys.Advance(TimeSpan.FromHours(1));
        Console.WriteLine("  unlocking…");
        var unlockStart = Clock.Now;
        using (var response = await t.UnlockKeyAsync(cancellationToken))
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"Unlock refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        await LockTenant.Until(async () => await t.KeyStateAsync(cancellationToken) == "Active", "the key to be Active again",
            StallLimit, cancellationToken);
        var keyActive = Clock.Now;
        m["unlock-key-ms"] = Clock.Ms(unlockStart, keyActive);

        long refused = 0;
        await Parallel.ForEachAsync(t.Environments, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (environment, token) =>
            {
                // EnvironmentEncryption learns that the key is Active through the bus; until then it refuses (bounded).
                var deadline = DateTime.UtcNow + StallLimit;
                while (!await t.UnlockEnvironmentAsync(environment, token))
                {
                    Interlocked.Increment(ref refused);
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"{environment} was not unlocked within {StallLimit.TotalSeconds:0} s.");
                    await Task.Delay(50, token);
                }
            });
        m["unlock-envs-s"] = Clock.Ms(keyActive, Clock.Now) / 1000;
        await WatchAsync(t, unlockStart, p => p.Phase == "Closed", "phase Closed", cancellationToken);
        var unlockSeconds = Clock.SecondsSince(unlockStart);
        m["unlock-s"] = unlockSeconds;
        m["unlock-rate"] = environments / unlockSeconds;
        Console.WriteLine($"  Closed after {unlockSeconds:0.0} s");

        notes.Add($"{environments} environments, one tenant, one lock cycle (measured once: setting up the environments is the " +
                  $"expensive part). Progress read from the lock dashboard (GET …/lock) every {PollInterval.TotalMilliseconds:0} ms; " +
                  $"environment unlocks refused before EnvironmentEncryption knew the key Active, then retried: {refused}.");
        notes.Add($"Warnings logged by TenantLock during the run: {Warnings(sys.Locks.Output)}; " +
                  $"by EnvironmentEncryption: {Warnings(sys.Environments.Output)}; by KeyService: {Warnings(sys.Keys.Output)}.");
        notes.Add("Most frequent TenantLock log messages at warning or above: " + TopWarnings(sys.Locks.Output));
        Console.WriteLine("  raw: " + string.Join(", ", m.Select(kv => $"{kv.Key}={kv.Value.ToString("0.###", CultureInfo.InvariantCulture)}")));
        return m;
    }

    /// <summary>Polls the lock progress until <paramref name="done"/>; fails when nothing changed for <see cref="StallLimit"/>.</summary>
    private async Task WatchAsync(LockTenant t, long since, Func<LockSnapshot, bool> done, string what, CancellationToken ct)
    {
        LockSnapshot? last = null;
        var lastChange = Clock.Now;
        var lastPrint = Clock.Now;
        while (true)
        {
            var progress = await t.ProgressAsync(ct);
            if (progress is not null && done(progress)) return;
            if (progress != last)
            {
                last = progress;
                lastChange = Clock.Now;
            }
            if (Clock.SecondsSince(lastChange) > StallLimit.TotalSeconds)
                throw new TimeoutException($"No progress towards {what} for {StallLimit.TotalSeconds:0} s; last: {last}.");
            if (Clock.SecondsSince(lastPrint) >= 10)
            {
                Console.WriteLine($"  {Clock.SecondsSince(since),6:0.0} s: {last}");
                lastPrint = Clock.Now;
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    /// <summary>Seconds for <paramref name="count"/> single-event appends, each to a new stream, 16 writers.</summary>
    private async Task<double> AppendsAsync(int count, CancellationToken ct)
    {
        var start = Clock.Now;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (i, token) =>
            {
                await using var session = baselineStore!.LightweightSession();
                session.Events.StartStream($"environment:{Guid.NewGuid():N}", new BenchNoteWritten(i.ToString(CultureInfo.InvariantCulture)));
                await session.SaveChangesAsync(token);
            });
        return Clock.SecondsSince(start);
    }

    /// <summary>RSA-OAEP-SHA256 decrypts per second of a 32-byte data key, 2048-bit key, one thread per core.</summary>
    private static double DecryptsPerSecond(int count)
    {
        using var shared = RSA.Create(2048);
        var parameters = shared.ExportParameters(true);
        var wrapped = shared.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256);
        var threads = Environment.ProcessorCount;
        var start = Clock.Now;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            using var rsa = RSA.Create(parameters);
            for (var i = thread; i < count; i += threads) rsa.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256);
        });
        return count / Clock.SecondsSince(start);
    }

    private static int Warnings(string output) =>
        output.Split('\n').Count(line => line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal));

    /// <summary>The three most frequent warning or error entries (category line plus the first line of the message).</summary>
    private static string TopWarnings(string output)
    {
        var lines = output.Split('\n');
        var entries = new List<string>();
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal))
            {
                var message = i + 1 < lines.Length ? lines[i + 1].Trim() : "";
                entries.Add($"{lines[i].Trim()} {(message.Length > 160 ? message[..160] : message)}");
            }
        return string.Join("; ", entries.GroupBy(e => e).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()} × `{g.Key}`"));
    }

    public async ValueTask DisposeAsync()
    {
        tenant?.Dispose();
        if (system is not null) await system.DisposeAsync();
        if (baselineStore is not null)
        {
            baselineStore.Dispose();
            await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {baselineSchema} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
