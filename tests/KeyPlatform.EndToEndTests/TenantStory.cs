using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.EndToEndTests;

/// <summary>A tenant driven the way its admins and the platform's services would: HTTP calls only.</summary>
public sealed class TenantStory(RunningSystem system, string region = "europe")
{
    public const string StorageServiceRole = PlatformRoles.PlatformStorageService;
    public const string Password = "the tenant key's password";

    public string Tenant { get; } = $"tenant-{TestInfrastructure.UniqueSuffix()}";
    public string Region => region;
    public List<string> Environments { get; } = [];

    public HttpClient KeyAdmin => system.Client(system.Keys, Tenant, PlatformRoles.PowerPlatformAdmin);
    public HttpClient EnvironmentsAdmin => system.Client(system.Environments, Tenant, PlatformRoles.PowerPlatformAdmin);
    public HttpClient LockAdmin => system.Client(system.Locks, Tenant, PlatformRoles.PowerPlatformAdmin);
    public HttpClient Storage => system.Client(system.Environments, Tenant, StorageServiceRole);
    public HttpClient EnvironmentAdminOf(string environment) =>
        system.Client(system.Environments, Tenant, [PlatformRoles.EnvironmentAdmin], [environment]);

    public static (byte[] Pfx, string Thumbprint) NewKey()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return (certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password),
            Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())));
    }

    public static MultipartFormDataContent KeyForm(byte[] pfx, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(pfx), "file", "key.pfx" }, { new StringContent(Password), "password" } };
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    public async Task EnableAsync()
    {
        var response = await system.Client(system.Keys, "*", PlatformRoles.PlatformOperator)
            .PutAsJsonAsync($"/v1/tenants/{Tenant}/enablement", new { appPerUserLicences = 1500, enterpriseLicences = 0 });
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await Eventually.TrueAsync(async () =>
            (await EnvironmentsAdmin.GetAsync($"/v1/tenants/{Tenant}/facts")).IsSuccessStatusCode, "EnvironmentEncryption to know the tenant");
    }

    public async Task UploadActiveKeyAsync(byte[] pfx)
    {
        var response = await KeyAdmin.PostAsync($"/v1/tenants/{Tenant}/regions/{Region}/keys", KeyForm(pfx, ("name", "k1"), ("acknowledgeRisk", "true")));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        await Eventually.TrueAsync(async () => (await KeysAsync()).Any(k => k.GetProperty("state").GetString() == "Active"), "the key to be Active");
    }

    public async Task<IReadOnlyList<JsonElement>> KeysAsync()
    {
        var inventory = await KeyAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{Tenant}/regions/{Region}/keys");
        return inventory.GetProperty("keys").EnumerateArray().ToList();
    }

    public async Task<DateTimeOffset> LastActivatedAtAsync() =>
        (await KeyAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{Tenant}/regions/{Region}/keys")).GetProperty("lastActivatedAt").GetDateTimeOffset();

    /// <summary>Registers environments (created now, after the feature was turned on: T2) and applies the tenant key (E2).</summary>
    public async Task AddEnvironmentsUnderTenantKeyAsync(int count, int parallelism = 1)
    {
        var operatorClient = system.Client(system.Environments, "*", PlatformRoles.PlatformOperator);
        var admin = EnvironmentsAdmin;
        var added = Enumerable.Range(0, count).Select(_ => $"env-{TestInfrastructure.UniqueSuffix()}").ToList();
        await Parallel.ForEachAsync(added.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (item, _) =>
        {
            var (id, i) = item;
            var registered = await operatorClient.PostAsJsonAsync($"/v1/tenants/{Tenant}/environments", new
            {
                environmentId = id, region = Region, name = $"Environment {i}", type = "Sandbox", storage = "SingleStore",
                version = "9.2.24000.00100", createdAt = system.Now,
            });
            registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
            var applied = await admin.PostAsJsonAsync($"/v1/tenants/{Tenant}/environments/{id}/encryption/apply", new { acknowledgeRisk = true });
            applied.IsSuccessStatusCode.ShouldBeTrue(await applied.Content.ReadAsStringAsync());
        });
        foreach (var id in added)
            await Eventually.TrueAsync(async () =>
            {
                var status = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{Tenant}/environments/{id}");
                return status.GetProperty("protection").GetString() == "TenantKey" && status.GetProperty("state").GetString() == "Active";
            }, $"{id} to be Active under the tenant key");
        Environments.AddRange(added);
    }

    public async Task WriteRecordAsync(string environment, string recordId, byte[] content)
    {
        var response = await Storage.PutAsync($"/v1/tenants/{Tenant}/environments/{environment}/records/{recordId}",
            new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } });
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
    }

    public Task<HttpResponseMessage> ReadRecordAsync(string environment, string recordId) =>
        Storage.GetAsync($"/v1/tenants/{Tenant}/environments/{environment}/records/{recordId}");

    public Task<HttpResponseMessage> ReleaseDataKeyAsync(string environment) =>
        Storage.PostAsync($"/v1/tenants/{Tenant}/environments/{environment}/data-key/release", null);

    public Task<HttpResponseMessage> LockAsync(byte[] pfx) =>
        LockAdmin.PostAsync($"/v1/tenants/{Tenant}/regions/{Region}/lock",
            KeyForm(pfx, ("confirmationText", $"LOCK {Tenant} {Region}"), ("acknowledgeRisk", "true")));

    public Task<HttpResponseMessage> UnlockKeyAsync(byte[] pfx) =>
        LockAdmin.PostAsync($"/v1/tenants/{Tenant}/regions/{Region}/unlock", KeyForm(pfx, ("acknowledgeRisk", "true")));

    public async Task<JsonElement> LockProgressWhenAsync(string phase) =>
        (JsonElement)await Eventually.GetAsync<object>(async () =>
        {
            var response = await LockAdmin.GetAsync($"/v1/tenants/{Tenant}/regions/{Region}/lock");
            if (!response.IsSuccessStatusCode) return null;
            var progress = await response.Content.ReadFromJsonAsync<JsonElement>();
            return progress.GetProperty("phase").GetString() == phase ? progress : null;
        }, $"the lock to be {phase}", TimeSpan.FromSeconds(90));

    public static async Task<(string? Rule, DateTimeOffset? AllowedAt)> ProblemAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (problem.TryGetProperty("rule", out var rule) ? rule.GetString() : null,
            problem.TryGetProperty("allowedAt", out var at) ? at.GetDateTimeOffset() : null);
    }
}
