using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace EnvironmentEncryption.Benchmarks;

/// <summary>
/// K8 rewrap rate for many environments beside raw RSA-OAEP-SHA256 decryption measured in the same run, and D2
/// data-key release latency over HTTP (real Kestrel on loopback), cached and uncached. KeyService and
/// EnvironmentEncryption run in this process on the real PostgreSQL and RabbitMQ, in schemas and a virtual host of
/// their own, dropped afterwards.
/// </summary>
public static class Program
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static async Task<int> Main(string[] args)
    {
        var environments = Option(args, "--environments", 10_000);
        var releases = Option(args, "--releases", 2_000);
        var parallelism = Option(args, "--parallelism", 16);
        var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() is { } path ? Path.GetFullPath(path) : null;
        // WebApplicationFactory finds the services' content roots through MvcTestingAppManifest.json in the current directory.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);

        var broker = new TestBroker();
        try
        {
            await broker.InitializeAsync();
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"RabbitMQ management is not reachable ({e.Message}); start it with scripts/infra.sh up.");
            return 2;
        }

        var report = new StringBuilder();
        void Say(string line)
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = Quiet();
        foreach (var (name, key) in new[] { ("--batch-size", "RewrapBatchSize"), ("--concurrent-batches", "RewrapConcurrentBatches"),
                     ("--vault-parallelism", "RewrapVaultParallelism") })
            if (args.Contains(name)) settings[$"EnvironmentEncryption:{key}"] = Option(args, name, 0).ToString(CultureInfo.InvariantCulture);
        // --vault gateway: EnvironmentEncryption reaches the vault through KeyService's gateway (docs/decisions/0020), as it
        // runs; --vault local: it opens the store itself, as before the gateway (the "before" of that decision's measure).
        var keySettings = Quiet();
        var keysPort = 0;
        var vaultMode = args.SkipWhile(a => a != "--vault").Skip(1).FirstOrDefault() ?? "gateway";
        if (vaultMode == "gateway")
        {
            keysPort = FreePort();
            var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
            keySettings["VaultGateway:Clients:EnvironmentEncryption:SecretSha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
            settings["Vault:Provider"] = "Gateway";
            settings["Vault:Gateway:Address"] = $"http://127.0.0.1:{keysPort}/";
            settings["Vault:Gateway:Client"] = "EnvironmentEncryption";
            settings["Vault:Gateway:Secret"] = secret;
        }
        var keys = new ServiceHost<KeyServiceApp>(broker, "keys", clock, keySettings);
        var platform = new ServiceHost<EnvironmentEncryptionApp>(broker, "environments", clock, settings);
        try
        {
            keys.UseKestrel(keysPort);
            platform.UseKestrel(0);
            keys.StartServer();
            platform.StartServer();
            var run = new Run(keys, platform, clock, parallelism);
            Say($"load average before: {LoadAverage()}; {Environment.ProcessorCount} cores; {environments} environments; vault: {vaultMode}");

            var tenant = await run.TenantAsync();
            await run.FirstKeyAsync(tenant);
            var (ids, registerRate) = await run.RegisterAsync(tenant, environments);
            Say($"registered {environments} environments (E1, D1: a data key each under the platform key): {registerRate:F0} per second");
            var applyRate = await run.ApplyAsync(tenant, ids);
            Say($"applied the tenant key to all (E2: Updating, rewrap, Active): {applyRate:F0} per second");

            var rsaBefore = RawRsa.DecryptsPerSecond(threads: 1);
            var rsaBefore2 = RawRsa.DecryptsPerSecond(threads: 2);
            var (rewrapRate, rewrapWall, fromActivation) = await run.ActivateAndRewrapAsync(tenant, environments);
            var rsaAfter = RawRsa.DecryptsPerSecond(threads: 1);
            var rsaAfter2 = RawRsa.DecryptsPerSecond(threads: 2);
            var rsa1 = (rsaBefore + rsaAfter) / 2;
            var rsa2 = (rsaBefore2 + rsaAfter2) / 2;

            var uncached = await run.ReleasesAsync(tenant, ids.Take(Math.Min(releases, ids.Count)).ToList());
            var cached = await run.ReleasesAsync(tenant, Enumerable.Repeat(ids[0], releases).ToList(), warmUp: 200);

            Say("");
            Say("| measure | figure |");
            Say("| --- | --- |");
            Say($"| K8 rewrap, {environments} environments, run started to last commit | **{rewrapRate:F0} environments/s** ({rewrapWall.TotalSeconds:F1} s; {fromActivation.TotalSeconds:F1} s from the activation request) |");
            Say($"| raw RSA-2048 OAEP-SHA256 decrypt, same run (before and after, mean) | {rsa1:F0} ops/s on 1 thread, {rsa2:F0} ops/s on 2 |");
            Say($"| rewrap rate / raw decrypt rate | {rewrapRate / rsa1:P0} of 1 thread (the local vault serialises unwraps under one key), {rewrapRate / rsa2:P0} of 2 |");
            Say($"| E2 apply, whole path (HTTP command, Updating, rewrap, Active) | {applyRate:F0} environments/s |");
            Say($"| registration (data key generated and wrapped, stream started) | {registerRate:F0} environments/s |");
            Say($"| D2 release over HTTP, uncached (vault unwrap), {uncached.Count} calls | p50 {Percentile(uncached, 50):F2} ms, p99 {Percentile(uncached, 99):F2} ms |");
            Say($"| D2 release over HTTP, cached, {cached.Count} calls | p50 {Percentile(cached, 50):F2} ms, p99 {Percentile(cached, 99):F2} ms |");
            Say("");
            Say($"load average after: {LoadAverage()}");
            if (output is not null) await File.WriteAllTextAsync(output, report.ToString());
            return 0;
        }
        finally
        {
            await platform.DisposeAsync();
            await keys.DisposeAsync();
            await broker.DisposeAsync();
        }
    }

    private static Dictionary<string, string?> Quiet() => new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        ["EnvironmentEncryption:DataKeyCacheSize"] = "100000",
    };

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int Option(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    private static double Percentile(List<double> samples, int percentile)
    {
        var sorted = samples.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The platform, driven the way its callers drive it.</summary>
    private sealed class Run(ServiceHost<KeyServiceApp> keys, ServiceHost<EnvironmentEncryptionApp> platform, FakeTimeProvider clock, int parallelism)
    {
        private const string Region = "europe";
        private readonly HttpClient @operator = platform.OperatorClient();
        private readonly HttpClient storage = platform.ClientFor("*", StorageRoles.PlatformStorageService);

        public async Task<string> TenantAsync()
        {
            var tenant = $"bench-{TestInfrastructure.UniqueSuffix()}";
            (await keys.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 5000, enterpriseLicences = 0 }))
                .EnsureSuccessStatusCode();
            await Eventually.TrueAsync(async () => (await FactsAsync(tenant))?.FeatureEnabled == true, "the tenant to be known");
            return tenant;
        }

        public async Task<string> FirstKeyAsync(string tenant) => await UploadAsync(tenant, "first");

        public async Task<(List<string> Ids, double Rate)> RegisterAsync(string tenant, int count)
        {
            var ids = Enumerable.Range(0, count).Select(i => $"env-{i:D6}").ToList();
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (id, ct) =>
            {
                var response = await @operator.PostAsJsonAsync($"/v1/tenants/{tenant}/environments", new
                {
                    environmentId = id, region = Region, name = id, type = "Sandbox", storage = "SingleStore", version = "9.2.24011.00200",
                    createdAt = clock.GetUtcNow().AddMinutes(1),
                }, ct);
                if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException(await response.Content.ReadAsStringAsync(ct));
            });
            return (ids, count / watch.Elapsed.TotalSeconds);
        }

        public async Task<double> ApplyAsync(string tenant, List<string> ids)
        {
            var admin = platform.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (id, ct) =>
            {
                var response = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/environments/{id}/encryption/apply", new { acknowledgeRisk = true }, ct);
                if (response.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException(await response.Content.ReadAsStringAsync(ct));
            });
            await Eventually.TrueAsync(async () => await CountAsync(tenant, e => e.State == EnvironmentState.Active
                && e.Protection == EnvironmentProtection.TenantKey) == ids.Count, "every environment under the tenant key", TimeSpan.FromMinutes(15));
            return ids.Count / watch.Elapsed.TotalSeconds;
        }

        /// <summary>K8: activate a second key and time the rewrap run from its start (its stream committed, seen by
        /// polling every 20 ms) to the last environment's commit, and from the activation request.</summary>
        public async Task<(double Rate, TimeSpan Wall, TimeSpan FromActivation)> ActivateAndRewrapAsync(string tenant, int count)
        {
            var file = KeyFile.Create();
            var second = await UploadAsync(tenant, "second", file);
            clock.Advance(TimeSpan.FromHours(25));
            var watch = Stopwatch.StartNew();
            var admin = keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
            (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/{second}/activate", new { acknowledgeRisk = true }))
                .EnsureSuccessStatusCode();

            TimeSpan? started = null;
            while (true)
            {
                var (total, done) = await ProgressAsync(tenant, second);
                if (total >= 0) started ??= watch.Elapsed;
                if (total == count && done >= total) break;
                if (watch.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException($"rewrap stuck at {done} of {total}");
                await Task.Delay(20);
            }
            var fromActivation = watch.Elapsed;
            var wall = fromActivation - started!.Value;
            return (count / wall.TotalSeconds, wall, fromActivation);
        }

        public async Task<List<double>> ReleasesAsync(string tenant, List<string> ids, int warmUp = 0)
        {
            for (var i = 0; i < warmUp; i++) await ReleaseAsync(tenant, ids[i % ids.Count]);
            var samples = new List<double>(ids.Count);
            foreach (var id in ids)
            {
                var watch = Stopwatch.StartNew();
                await ReleaseAsync(tenant, id);
                samples.Add(watch.Elapsed.TotalMilliseconds);
            }
            return samples;
        }

        private async Task ReleaseAsync(string tenant, string id)
        {
            using var response = await storage.PostAsync($"/v1/tenants/{tenant}/environments/{id}/data-key/release", null);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
            await response.Content.ReadAsByteArrayAsync();
        }

        private async Task<string> UploadAsync(string tenant, string name, KeyFile? file = null)
        {
            file ??= KeyFile.Create();
            var form = new MultipartFormDataContent
            {
                { new StringContent(name), "name" },
                { new StringContent("true"), "acknowledgeRisk" },
                { new ByteArrayContent(file.Pfx), "file", $"{name}.pfx" },
                { new StringContent(KeyFile.Password), "password" },
            };
            var response = await keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin).PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys", form);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException(body);
            var keyId = JsonDocument.Parse(body).RootElement.GetProperty("keyId").GetString()!;
            if (name == "first")
                await Eventually.TrueAsync(async () => (await FactsAsync(tenant))?.ActiveKey(Region)?.KeyId == keyId, "the first key to be active");
            return keyId;
        }

        private async Task<TenantFacts?> FactsAsync(string tenant)
        {
            await using var session = platform.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenant));
        }

        private async Task<int> CountAsync(string tenant, Func<TenantEnvironment, bool> match)
        {
            await using var session = platform.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return (await session.Query<TenantEnvironment>().Where(e => e.TenantId == tenant).ToListAsync()).Count(match);
        }

        private async Task<(int Total, int Done)> ProgressAsync(string tenant, string keyId)
        {
            await using var session = platform.Services.GetRequiredService<IDocumentStore>().QuerySession();
            var runs = await session.Query<RewrapRun>().Where(r => r.TenantId == tenant && r.TargetKeyId == keyId).ToListAsync();
            if (runs.Count == 0) return (-1, 0);
            var progress = await RewrapProgressView.ReadAsync(session, runs, CancellationToken.None);
            return (progress[0].Total, progress[0].Done);
        }
    }

    private sealed class KeyFile
    {
        public const string Password = "benchmark pfx password";

        public byte[] Pfx { get; private init; } = [];

        public static KeyFile Create()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=bench", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            return new KeyFile { Pfx = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password) };
        }
    }

    /// <summary>The baseline: .NET's RSA-2048 OAEP-SHA256 decryption of a 32-byte data key, in memory, for 2 s.</summary>
    private static class RawRsa
    {
        public static double DecryptsPerSecond(int threads)
        {
            using var rsa = RSA.Create(2048);
            var wrapped = rsa.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256);
            for (var i = 0; i < 50; i++) rsa.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256);
            var parameters = rsa.ExportParameters(true);
            var counts = new long[threads];
            var watch = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                using var own = RSA.Create();
                own.ImportParameters(parameters);
                while (watch.Elapsed < TimeSpan.FromSeconds(2))
                {
                    own.Decrypt(wrapped, RSAEncryptionPadding.OaepSHA256);
                    counts[t]++;
                }
            });
            return counts.Sum() / watch.Elapsed.TotalSeconds;
        }
    }
}
