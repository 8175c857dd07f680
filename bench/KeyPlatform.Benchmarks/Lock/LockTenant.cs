using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;

namespace KeyPlatform.Benchmarks.Lock;

/// <summary>A tenant driven over HTTP only, as <c>tests/KeyPlatform.EndToEndTests/TenantStory.cs</c> drives it (the same
/// calls, copied: the bench does not reference the test project), with shared clients so that thousands of
/// environments do not mean thousands of sockets.</summary>
internal sealed class LockTenant : IDisposable
{
    private const string Password = "the tenant key's password";
    private readonly RunningSystem system;
    private readonly HttpClient keyAdmin;
    private readonly HttpClient environmentsAdmin;
    private readonly HttpClient environmentsOperator;
    private readonly HttpClient lockAdmin;
    private readonly HttpClient environmentsAnonymous;

    public LockTenant(RunningSystem system, string region = "europe")
    {
        this.system = system;
        Region = region;
        Tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        keyAdmin = system.Client(system.Keys, Tenant, PlatformRoles.PowerPlatformAdmin);
        environmentsAdmin = system.Client(system.Environments, Tenant, PlatformRoles.PowerPlatformAdmin);
        environmentsOperator = system.Client(system.Environments, "*", PlatformRoles.PlatformOperator);
        lockAdmin = system.Client(system.Locks, Tenant, PlatformRoles.PowerPlatformAdmin);
        environmentsAnonymous = new HttpClient { BaseAddress = system.Environments.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        (Pfx, _) = NewKey();
    }

    public string Tenant { get; }
    public string Region { get; }
    public byte[] Pfx { get; }
    public List<string> Environments { get; } = [];

    private static (byte[] Pfx, string Thumbprint) NewKey()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return (certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password),
            Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())));
    }

    private MultipartFormDataContent KeyForm(params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Pfx), "file", "key.pfx" }, { new StringContent(Password), "password" } };
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    public async Task EnableAsync(TimeSpan limit, CancellationToken ct)
    {
        using var operatorClient = system.Client(system.Keys, "*", PlatformRoles.PlatformOperator);
        var response = await operatorClient.PutAsJsonAsync($"/v1/tenants/{Tenant}/enablement",
            new { appPerUserLicences = 1500, enterpriseLicences = 0 }, ct);
        await Expect(response, HttpStatusCode.NoContent, "enable the tenant");
        await Until(async () => (await environmentsAdmin.GetAsync($"/v1/tenants/{Tenant}/facts", ct)).IsSuccessStatusCode,
            "EnvironmentEncryption to know the tenant", limit, ct);
    }

    public async Task UploadActiveKeyAsync(TimeSpan limit, CancellationToken ct)
    {
        var response = await keyAdmin.PostAsync($"/v1/tenants/{Tenant}/regions/{Region}/keys",
            KeyForm(("name", "k1"), ("acknowledgeRisk", "true")), ct);
        await Expect(response, HttpStatusCode.Created, "upload the tenant key");
        await Until(async () => await KeyStateAsync(ct) == "Active", "the key to be Active", limit, ct);
    }

    public async Task<string?> KeyStateAsync(CancellationToken ct)
    {
        var inventory = await keyAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{Tenant}/regions/{Region}/keys", ct);
        var keys = inventory.GetProperty("keys").EnumerateArray().ToList();
        return keys.Count == 1 ? keys[0].GetProperty("state").GetString() : null;
    }

    /// <summary>Registers <paramref name="count"/> environments and applies the tenant key to each (parallel), then
    /// waits until every one says Active under the tenant key.</summary>
    public async Task AddEnvironmentsUnderTenantKeyAsync(int count, int parallelism, TimeSpan limit, CancellationToken ct)
    {
        var added = Enumerable.Range(0, count).Select(_ => $"env-{TestInfrastructure.UniqueSuffix()}").ToList();
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(added.Select((id, i) => (id, i)), options, async (item, token) =>
        {
            var (id, i) = item;
            var registered = await environmentsOperator.PostAsJsonAsync($"/v1/tenants/{Tenant}/environments", new
            {
                environmentId = id, region = Region, name = $"Environment {i}", type = "Sandbox", storage = "SingleStore",
                version = "9.2.24000.00100", createdAt = system.Now,
            }, token);
            await Expect(registered, HttpStatusCode.Created, $"register {id}");
            var applied = await environmentsAdmin.PostAsJsonAsync($"/v1/tenants/{Tenant}/environments/{id}/encryption/apply",
                new { acknowledgeRisk = true }, token);
            await Expect(applied, null, $"apply the tenant key to {id}");
        });
        await Parallel.ForEachAsync(added, options, async (id, token) =>
            await Until(async () =>
            {
                var status = await environmentsAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{Tenant}/environments/{id}", token);
                return status.GetProperty("protection").GetString() == "TenantKey" && status.GetProperty("state").GetString() == "Active";
            }, $"{id} to be Active under the tenant key", limit, token));
        Environments.AddRange(added);
    }

    public Task<HttpResponseMessage> LockAsync(CancellationToken ct) =>
        lockAdmin.PostAsync($"/v1/tenants/{Tenant}/regions/{Region}/lock",
            KeyForm(("confirmationText", $"LOCK {Tenant} {Region}"), ("acknowledgeRisk", "true")), ct);

    public Task<HttpResponseMessage> UnlockKeyAsync(CancellationToken ct) =>
        lockAdmin.PostAsync($"/v1/tenants/{Tenant}/regions/{Region}/unlock", KeyForm(("acknowledgeRisk", "true")), ct);

    /// <summary>The lock progress (S4) of the tenant's current cycle, or null while there is none.</summary>
    public async Task<LockSnapshot?> ProgressAsync(CancellationToken ct)
    {
        using var response = await lockAdmin.GetAsync($"/v1/tenants/{Tenant}/regions/{Region}/lock", ct);
        if (!response.IsSuccessStatusCode) return null;
        var progress = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return new LockSnapshot(progress.GetProperty("phase").GetString() ?? "", progress.GetProperty("environmentsTotal").GetInt32(),
            progress.GetProperty("environmentsLocked").GetInt32(), progress.GetProperty("environmentsUnlocked").GetInt32(),
            progress.GetProperty("keysLocked").GetBoolean());
    }

    /// <summary>The environment's own admin unlocks it (U2); false while EnvironmentEncryption refuses (the key not
    /// yet known Active there).</summary>
    public async Task<bool> UnlockEnvironmentAsync(string environment, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{Tenant}/environments/{environment}/unlock");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            system.Token(Tenant, [PlatformRoles.EnvironmentAdmin], [environment]));
        using var response = await environmentsAnonymous.SendAsync(request, ct);
        return response.IsSuccessStatusCode;
    }

    private static async Task Expect(HttpResponseMessage response, HttpStatusCode? status, string what)
    {
        var ok = status is { } expected ? response.StatusCode == expected : response.IsSuccessStatusCode;
        if (!ok)
            throw new InvalidOperationException($"Could not {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Polls every 50 ms until <paramref name="probe"/> is true, at most <paramref name="limit"/>.</summary>
    public static async Task Until(Func<Task<bool>> probe, string what, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.");
            await Task.Delay(50, ct);
        }
    }

    public void Dispose()
    {
        keyAdmin.Dispose();
        environmentsAdmin.Dispose();
        environmentsOperator.Dispose();
        lockAdmin.Dispose();
        environmentsAnonymous.Dispose();
    }
}

internal sealed record LockSnapshot(string Phase, int EnvironmentsTotal, int EnvironmentsLocked, int EnvironmentsUnlocked, bool KeysLocked);
