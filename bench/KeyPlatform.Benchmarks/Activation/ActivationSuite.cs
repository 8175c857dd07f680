using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Vault.KeyFiles;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using KeyServiceProgram = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Benchmarks.Activation;

/// <summary>
/// KeyService, end to end over HTTP: a new tenant's first key, uploaded as a .pfx, until the key inventory says
/// Active (upload handler → commit → relay → InstallTenantKey → vault thumbprint, wrap and unwrap → KeyActivated).
/// Beside it, in the same run and on the same files, the raw cost of the work's parts: load the .pfx, one RSA-OAEP-
/// SHA256 wrap and unwrap of a 32-byte key.
/// </summary>
internal sealed class ActivationSuite(BenchOptions options) : ISuite
{
    private const string Region = "europe";
    private const string Password = "bench-pfx-password";
    private const int DistinctKeys = 8;
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    private readonly InstallSignals signals = new();
    private TestBroker? broker;
    private ServiceHost<KeyServiceProgram>? host;
    private HttpClient? operatorClient;
    private byte[][] pfxFiles = [];
    private int tenantCount;
    private int fallbackPolls;

    public string Name => "activation";

    public string Title => "KeyService: upload to Active";

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("upload .pfx → inventory says Active, p50", "ms", "act.total.p50", "raw parts: PFX load + RSA wrap + unwrap, p50", "raw.total.p50"),
        new("upload .pfx → inventory says Active, p99", "ms", "act.total.p99", "raw parts, p99", "raw.total.p99"),
        new("· upload request until 201 Created, p50", "ms", "act.upload.p50"),
        new("· upload request until 201 Created, p99", "ms", "act.upload.p99"),
        new("· 201 → install step done (relay + install), p50", "ms", "act.install.p50"),
        new("· 201 → install step done (relay + install), p99", "ms", "act.install.p99"),
        new("· install done → inventory read says Active, p50", "ms", "act.confirm.p50"),
        new("raw PFX load (LoadPkcs12 + GetRSAPrivateKey), p50", "ms", "raw.load.p50"),
        new("raw RSA-OAEP-SHA256 wrap + unwrap, p50", "ms", "raw.crypt.p50"),
        new("K2 checks: KeyFileReader.ReadPfx, p50", "ms", "read.pfx.p50", "raw PFX load, p50", "raw.load.p50"),
    ];

    public IEnumerable<string> Notes =>
    [
        $"{options.ActivationTenants} new tenants per run (after {options.ActivationWarmUp} warm-up), one at a time, over HTTP against an " +
        "in-process KeyService (`ServiceHost<Program>`, its own schema and RabbitMQ virtual host, daemon Solo). The run's tenants are " +
        "enabled first (not timed), then each uploads its first key, 100 ms after the previous one became Active; with " +
        $"{options.ActivationTenants} samples per run, p99 is the slowest of them. The clock stops when a GET of the key inventory says Active; that GET is issued when the install " +
        "step's consumer has returned (a MassTransit consume observer), so no polling interval is in the figure" +
        (fallbackPolls > 0 ? $" ({fallbackPolls} time(s) the first GET was not yet Active and the harness polled every 5 ms)." : ".") +
        $" {DistinctKeys} distinct RSA-2048 keys in .pfx (PBES2 AES-256/SHA-256), reused round-robin; the raw parts load the same files.",
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        pfxFiles = Enumerable.Range(0, DistinctKeys).Select(_ => MakePfx()).ToArray();
        broker = new TestBroker();
        await broker.InitializeAsync();
        host = new ServiceHost<KeyServiceProgram>(broker, "keys",
            settings: new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            },
            configureServices: services =>
            {
                services.AddSingleton(signals);
                services.AddConsumeObserver<InstallObserver>();
            });
        operatorClient = host.OperatorClient();
        for (var i = 0; i < options.ActivationWarmUp; i++)
        {
            RawParts(pfxFiles[i % DistinctKeys]);
            await UploadToActiveAsync(await EnabledTenantAsync(cancellationToken), pfxFiles[i % DistinctKeys], cancellationToken);
        }
    }

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        var total = new Samples();
        var upload = new Samples();
        var install = new Samples();
        var confirm = new Samples();
        var rawTotal = new Samples();
        var rawLoad = new Samples();
        var rawCrypt = new Samples();
        var readPfx = new Samples();
        // Every tenant of the run is enabled first, so the relay traffic of enabling does not overlap the timed uploads.
        var tenants = new List<string>();
        for (var i = 0; i < options.ActivationTenants; i++) tenants.Add(await EnabledTenantAsync(cancellationToken));
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        for (var i = 0; i < options.ActivationTenants; i++)
        {
            // Let the previous tenant's tail (its KeyActivated relayed and consumed) finish: both the baseline and the
            // upload start on an idle service.
            await Task.Delay(Settle, cancellationToken);
            var file = pfxFiles[i % DistinctKeys];
            var raw = RawParts(file);
            rawTotal.Add(raw.Load + raw.Crypt);
            rawLoad.Add(raw.Load);
            rawCrypt.Add(raw.Crypt);
            readPfx.Add(raw.ReadPfx);

            var sample = await UploadToActiveAsync(tenants[i], file, cancellationToken);
            total.Add(sample.Total);
            upload.Add(sample.Upload);
            install.Add(sample.Install);
            confirm.Add(sample.Confirm);
        }
        return new Measurements
        {
            ["act.total.p50"] = total.P50, ["act.total.p99"] = total.P99,
            ["act.upload.p50"] = upload.P50, ["act.upload.p99"] = upload.P99,
            ["act.install.p50"] = install.P50, ["act.install.p99"] = install.P99,
            ["act.confirm.p50"] = confirm.P50,
            ["raw.total.p50"] = rawTotal.P50, ["raw.total.p99"] = rawTotal.P99,
            ["raw.load.p50"] = rawLoad.P50, ["raw.crypt.p50"] = rawCrypt.P50,
            ["read.pfx.p50"] = readPfx.P50,
        };
    }

    private sealed record PipelineSample(double Upload, double Install, double Confirm, double Total);

    private async Task<string> EnabledTenantAsync(CancellationToken cancellationToken)
    {
        var tenant = $"bench-{broker!.Suffix}-{Interlocked.Increment(ref tenantCount)}";
        (await operatorClient!.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement",
            new { appPerUserLicences = 1200, enterpriseLicences = 0 }, cancellationToken)).EnsureSuccessStatusCode();
        return tenant;
    }

    private async Task<PipelineSample> UploadToActiveAsync(string tenant, byte[] pfx, CancellationToken cancellationToken)
    {
        using var admin = host!.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
        var keys = $"/v1/tenants/{tenant}/regions/{Region}/keys";
        var installed = signals.ExpectAsync(tenant);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("bench key"), "name" },
            { new StringContent("true"), "acknowledgeRisk" },
            { new StringContent(Password), "password" },
            { new ByteArrayContent(pfx), "file", "bench.pfx" },
        };

        var start = Clock.Now;
        using var response = await admin.PostAsync(keys, form, cancellationToken);
        var created = Clock.Now;
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"Upload refused ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
        var keyId = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("keyId").GetString()!;

        long installedAt;
        try
        {
            installedAt = await installed.WaitAsync(options.WaitLimit, cancellationToken);
        }
        catch (TimeoutException)
        {
            signals.Forget(tenant);
            throw new TimeoutException($"The install step of tenant {tenant} did not finish within {options.WaitLimit.TotalSeconds:0} s.");
        }

        var deadline = Clock.Now;
        for (var polls = 0; ; polls++)
        {
            var state = await StateAsync(admin, keys, keyId, cancellationToken);
            if (state == "Active") break;
            if (state is "Failed" or "Deleted") throw new InvalidOperationException($"Key {keyId} of {tenant} went {state}.");
            if (Clock.SecondsSince(deadline) > options.WaitLimit.TotalSeconds)
                throw new TimeoutException($"Key {keyId} of {tenant} is still {state}.");
            if (polls == 0) Interlocked.Increment(ref fallbackPolls);
            await Task.Delay(5, cancellationToken);
        }
        var active = Clock.Now;
        return new PipelineSample(Clock.Ms(start, created), Clock.Ms(created, installedAt), Clock.Ms(installedAt, active),
            Clock.Ms(start, active));
    }

    private static async Task<string?> StateAsync(HttpClient admin, string keys, string keyId, CancellationToken cancellationToken)
    {
        using var inventory = JsonDocument.Parse(await admin.GetStringAsync(keys, cancellationToken));
        return inventory.RootElement.GetProperty("keys").EnumerateArray()
            .Where(k => k.GetProperty("keyId").GetString() == keyId)
            .Select(k => k.GetProperty("state").GetString())
            .FirstOrDefault();
    }

    private sealed record RawSample(double Load, double Crypt, double ReadPfx);

    /// <summary>The work's parts, bare: what any implementation has to pay for one upload and one install proof.</summary>
    private static RawSample RawParts(byte[] pfx)
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var start = Clock.Now;
        using var certificate = X509CertificateLoader.LoadPkcs12(pfx, Password,
            X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        using var rsa = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("No RSA key in the .pfx.");
        var loaded = Clock.Now;
        var ciphertext = rsa.Encrypt(dataKey, RSAEncryptionPadding.OaepSHA256);
        var plaintext = rsa.Decrypt(ciphertext, RSAEncryptionPadding.OaepSHA256);
        var crypted = Clock.Now;
        if (!plaintext.AsSpan().SequenceEqual(dataKey)) throw new InvalidOperationException("Round trip failed.");

        var readStart = Clock.Now;
        var read = KeyFileReader.ReadPfx(pfx, Password);
        var readEnd = Clock.Now;
        if (read.IsRefused) throw new InvalidOperationException($"KeyFileReader refused the file: {read.Refusal!.Reason}");
        read.Value.Dispose();
        return new RawSample(Clock.Ms(start, loaded), Clock.Ms(loaded, crypted), Clock.Ms(readStart, readEnd));
    }

    private static byte[] MakePfx()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=bench tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password);
    }

    public async ValueTask DisposeAsync()
    {
        operatorClient?.Dispose();
        if (host is not null) await host.DisposeAsync();
        if (broker is not null) await broker.DisposeAsync();
    }
}
