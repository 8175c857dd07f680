using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;

namespace KeyPlatform.Benchmarks.Dashboard;

/// <summary>The dashboard suite's tenant, set up over HTTP only (the calls of the end-to-end tests' tenant story):
/// enabled, one uploaded key Active in one region, a few environments registered and put under that key.</summary>
internal static class DashboardTenant
{
    private const string Password = "the dashboard tenant key's password";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task<string> CreateAsync(RunningSystem system, string region, int environments, CancellationToken ct)
    {
        var tenant = $"dash-{TestInfrastructure.UniqueSuffix()}";
        using var operatorKeys = system.Client(system.Keys, "*", PlatformRoles.PlatformOperator);
        using var operatorEnvironments = system.Client(system.Environments, "*", PlatformRoles.PlatformOperator);
        using var keyAdmin = system.Client(system.Keys, tenant, PlatformRoles.PowerPlatformAdmin);
        using var environmentAdmin = system.Client(system.Environments, tenant, PlatformRoles.PowerPlatformAdmin);

        await Expect(await operatorKeys.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement",
            new { appPerUserLicences = 1500, enterpriseLicences = 0 }, ct), "enable the tenant");
        await Until(async () => (await environmentAdmin.GetAsync($"/v1/tenants/{tenant}/facts", ct)).IsSuccessStatusCode,
            "EnvironmentEncryption to know the tenant", ct);

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(NewPfx()), "file", "key.pfx" },
            { new StringContent(Password), "password" },
            { new StringContent("k1"), "name" },
            { new StringContent("true"), "acknowledgeRisk" },
        };
        await Expect(await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{region}/keys", form, ct), "upload the tenant key");
        await Until(async () =>
        {
            var inventory = await keyAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{tenant}/regions/{region}/keys", ct);
            return inventory.GetProperty("keys").EnumerateArray().Any(k => k.GetProperty("state").GetString() == "Active");
        }, "the key to be Active", ct);

        var ids = Enumerable.Range(0, environments).Select(_ => $"env-{TestInfrastructure.UniqueSuffix()}").ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            await Expect(await operatorEnvironments.PostAsJsonAsync($"/v1/tenants/{tenant}/environments", new
            {
                environmentId = ids[i], region, name = $"Environment {i}", type = "Sandbox", storage = "SingleStore",
                version = "9.2.24000.00100", createdAt = system.Now,
            }, ct), $"register {ids[i]}");
            await Expect(await environmentAdmin.PostAsJsonAsync($"/v1/tenants/{tenant}/environments/{ids[i]}/encryption/apply",
                new { acknowledgeRisk = true }, ct), $"apply the tenant key to {ids[i]}");
        }
        foreach (var id in ids)
            await Until(async () =>
            {
                var status = await environmentAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{tenant}/environments/{id}", ct);
                return status.GetProperty("protection").GetString() == "TenantKey" && status.GetProperty("state").GetString() == "Active";
            }, $"{id} to be Active under the tenant key", ct);
        return tenant;
    }

    private static byte[] NewPfx()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=dashboard tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password);
    }

    private static async Task Expect(HttpResponseMessage response, string what)
    {
        using (response)
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.Accepted)
                throw new InvalidOperationException($"Could not {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Polls every 50 ms until <paramref name="probe"/> is true, at most a minute.</summary>
    private static async Task Until(Func<Task<bool>> probe, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {Limit.TotalSeconds:0} s waiting for {what}.");
            await Task.Delay(50, ct);
        }
    }
}
