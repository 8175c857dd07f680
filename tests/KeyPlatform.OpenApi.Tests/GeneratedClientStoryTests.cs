using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyPlatform.Client.Environments;
using KeyPlatform.Client.Keys;
using KeyPlatform.Client.Locks;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyFile = KeyPlatform.Client.Keys.FileParameter;
using LockFile = KeyPlatform.Client.Locks.FileParameter;

namespace KeyPlatform.OpenApi.Tests;

/// <summary>One story driven through the clients generated from docs/openapi/ (clients/KeyPlatform.Client) against
/// the three services in-process: if a document cannot drive a client, this does not compile or does not pass.
/// Every command goes through a generated client, which throws on any answer its document does not declare as the
/// operation's success (another 2xx included), so each call below returning is the endpoint answering as documented;
/// states are watched with plain GETs.</summary>
[Collection(PlatformCollection.Name)]
public sealed class GeneratedClientStoryTests(PlatformServices platform)
{
    private const string Password = "the tenant key's password";
    private const string Region = "europe";

    [Fact]
    [Trait("Rule", "K4")]
    [Trait("Rule", "K7")]
    [Trait("Rule", "E2")]
    [Trait("Rule", "D1")]
    [Trait("Rule", "L1")]
    public async Task Enable_upload_activate_apply_and_lock_through_the_generated_clients()
    {
        var tenant = $"client-{TestInfrastructure.UniqueSuffix()}";
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        var keysHttp = platform.Keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
        var keys = new KeyServiceClient(keysHttp);
        var environmentsHttp = platform.Environments.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
        var locks = new TenantLockClient(platform.Locks.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin));

        // T1: a platform operator enables the tenant.
        await new KeyServiceClient(platform.Keys.OperatorClient())
            .EnableTenantEncryptionAsync(tenant, NewIdempotencyKey(), new EnableRequest { AppPerUserLicences = 1500, EnterpriseLicences = 0 });
        await Eventually.TrueAsync(async () => (await environmentsHttp.GetAsync($"/v1/tenants/{tenant}/facts")).IsSuccessStatusCode,
            "EnvironmentEncryption to know the tenant");

        // K4, K5: the first key uploaded is activated; K7: a second one is activated explicitly, after K9's 24 h.
        var (first, _) = NewKey();
        await keys.UploadTenantKeyAsync(tenant, Region, NewIdempotencyKey(), "first", new KeyFile(new MemoryStream(first), "first.pfx", "application/x-pkcs12"), Password, true);
        await KeyInStateAsync(keysHttp, tenant, "first", "Active");
        var (second, _) = NewKey();
        await keys.UploadTenantKeyAsync(tenant, Region, NewIdempotencyKey(), "second", new KeyFile(new MemoryStream(second), "second.pfx", "application/x-pkcs12"), Password, true);
        var secondId = (await KeyInStateAsync(keysHttp, tenant, "second", "Available")).GetProperty("keyId").GetString()!;
        platform.Keys.Clock.Advance(TimeSpan.FromHours(25));
        // The document gives activation two success answers of different shapes (200 with the Active key's state, 202
        // with none): NSwag returns the first and reports the other as an ApiException carrying its status.
        var started = await Should.ThrowAsync<KeyPlatform.Client.Keys.ApiException>(() =>
            keys.ActivateTenantKeyAsync(tenant, Region, secondId, NewIdempotencyKey(), new KeyPlatform.Client.Keys.ActivateRequest { AcknowledgeRisk = true }));
        started.StatusCode.ShouldBe(202);
        await KeyInStateAsync(keysHttp, tenant, "second", "Active");

        // E2: an environment created after enablement is put under the tenant key.
        await new EnvironmentEncryptionClient(platform.Environments.OperatorClient()).RegisterEnvironmentAsync(tenant, NewIdempotencyKey(), new RegisterRequest
        {
            EnvironmentId = environment, Region = Region, Name = "Finance", Type = EnvironmentType.Sandbox,
            Storage = EnvironmentStorage.SingleStore, Version = "9.2.24000.00100", CreatedAt = platform.Keys.Clock.GetUtcNow(),
        });
        await new EnvironmentEncryptionClient(environmentsHttp).ApplyTenantKeyAsync(tenant, environment, NewIdempotencyKey(), new ApplyRequest { AcknowledgeRisk = true });
        await Eventually.TrueAsync(async () =>
        {
            var status = await environmentsHttp.GetFromJsonAsync<JsonElement>($"/v1/tenants/{tenant}/environments/{environment}");
            return status.GetProperty("protection").GetString() == "TenantKey" && status.GetProperty("state").GetString() == "Active";
        }, "the environment to be Active under the tenant key");

        // D1, D2: a platform storage service writes a record (the raw body the document describes) and reads it back.
        var store = new EnvironmentEncryptionClient(platform.Environments.ClientFor("*", PlatformRoles.PlatformStorageService));
        var record = "a record of the environment"u8.ToArray();
        await store.WriteRecordAsync(tenant, environment, "rec-1", RecordKind.Data, new MemoryStream(record));
        using (var read = await store.ReadRecordAsync(tenant, environment, "rec-1"))
        {
            using var content = new MemoryStream();
            await read.Stream.CopyToAsync(content);
            content.ToArray().ShouldBe(record);
        }

        // L2: too early, refused with a ProblemDetails the client reads; L1: after 72 h, the active key locks.
        var tooEarly = await Should.ThrowAsync<KeyPlatform.Client.Locks.ApiException<KeyPlatform.Client.Locks.ProblemDetails>>(() =>
            locks.LockTenantAsync(tenant, Region, NewIdempotencyKey(), new LockFile(new MemoryStream(second), "second.pfx", "application/x-pkcs12"), Password,
                $"LOCK {tenant} {Region}", true));
        tooEarly.Result.Rule.ShouldBe("L2");
        platform.Keys.Clock.Advance(TimeSpan.FromHours(73));
        await locks.LockTenantAsync(tenant, Region, NewIdempotencyKey(), new LockFile(new MemoryStream(second), "second.pfx", "application/x-pkcs12"), Password,
            $"LOCK {tenant} {Region}", true);
        var lockHttp = platform.Locks.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
        await Eventually.TrueAsync(async () =>
        {
            var response = await lockHttp.GetAsync($"/v1/tenants/{tenant}/regions/{Region}/lock");
            return response.IsSuccessStatusCode
                   && (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("phase").GetString() == "Locked";
        }, "the tenant to be locked", TimeSpan.FromSeconds(60));
    }

    private static async Task<JsonElement> KeyInStateAsync(HttpClient keys, string tenant, string name, string state) =>
        (JsonElement)await Eventually.GetAsync<object>(async () =>
        {
            var inventory = await keys.GetFromJsonAsync<JsonElement>($"/v1/tenants/{tenant}/regions/{Region}/keys");
            var key = inventory.GetProperty("keys").EnumerateArray().FirstOrDefault(k => k.GetProperty("name").GetString() == name);
            return key.ValueKind == JsonValueKind.Object && key.GetProperty("state").GetString() == state ? key : null;
        }, $"key {name} to be {state}");

    private static (byte[] Pfx, string Thumbprint) NewKey()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return (certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password),
            Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())));
    }

    /// <summary>The generated client sends the Idempotency-Key header of every command (decision 0025); a fresh one per request.</summary>
    private static string NewIdempotencyKey() => Guid.NewGuid().ToString("N");
}
