using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.KeyService.TenantKeys.Uploading;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace KeyService.IntegrationTests;

/// <summary>The key lifecycle over HTTP, on a real vault, PostgreSQL and RabbitMQ.</summary>
public sealed class TenantKeyLifecycleTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    private const string Region = "europe";

    private static string Keys(string tenant) => $"/v1/tenants/{tenant}/regions/{Region}/keys";

    private static async Task<UploadedTenantKey> UploadAsync(HttpClient admin, string tenant, string name, byte[] file, string fileName,
        string? password)
    {
        var response = await admin.PostAsync(Keys(tenant), KeyFiles.Upload(name, file, fileName, password));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<UploadedTenantKey>())!;
    }

    private static async Task<KeyInventoryView> InventoryAsync(HttpClient admin, string tenant) =>
        (await admin.GetFromJsonAsync<KeyInventoryView>(Keys(tenant), Json.Options))!;

    private static Task<KeyInventoryView> WaitForStateAsync(HttpClient admin, string tenant, string keyId, TenantKeyState state) =>
        Eventually.GetAsync(async () =>
        {
            var inventory = await InventoryAsync(admin, tenant);
            return inventory.Keys.Single(k => k.KeyId == keyId).State == state ? inventory : null;
        }, $"key {keyId} to be {state}");

    [Fact]
    [Trait("Rule", "K5")]
    public async Task A_pfx_made_by_openssl_is_uploaded_and_as_the_first_key_becomes_Active_K4_K5()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();

        var uploaded = await UploadAsync(admin, tenant, "openssl key", KeyFiles.Fixture("rsa2048.pfx"), "rsa2048.pfx", KeyFiles.FixturePassword);

        var inventory = await WaitForStateAsync(admin, tenant, uploaded.KeyId, TenantKeyState.Active);
        using var expected = RSA.Create();
        expected.ImportFromPem(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rsa2048.key.pem")));
        inventory.Keys.Single().Thumbprint.ShouldBe(KeyFiles.Thumbprint(expected));
        inventory.LockAllowedAt.ShouldBe(inventory.LastActivatedAt + TimeSpan.FromHours(72));
    }

    [Fact]
    [Trait("Rule", "K9")]
    public async Task A_pfx_made_by_dotnet_stays_Available_and_activates_only_after_24_hours_K7_K9()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var first = await UploadAsync(admin, tenant, "first", KeyFiles.Fixture("rsa2048.pfx"), "first.pfx", KeyFiles.FixturePassword);
        var activeSince = (await WaitForStateAsync(admin, tenant, first.KeyId, TenantKeyState.Active)).LastActivatedAt!.Value;
        var (pfx, key) = KeyFiles.DotNetPfx("a long enough password");
        var second = await UploadAsync(admin, tenant, "second", pfx, "second.pfx", "a long enough password");
        second.Thumbprint.ShouldBe(KeyFiles.Thumbprint(key));
        (await InventoryAsync(admin, tenant)).Keys.Single(k => k.KeyId == second.KeyId).State.ShouldBe(TenantKeyState.Available);

        fixture.Host.Clock.SetUtcNow(activeSince + TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1));
        var early = await admin.PostAsJsonAsync($"{Keys(tenant)}/{second.KeyId}/activate", new { acknowledgeRisk = true });
        early.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = (await early.Content.ReadFromJsonAsync<Problem>(Json.Options))!;
        problem.Rule.ShouldBe(Rules.K9);
        problem.AllowedAt.ShouldBe(activeSince + TimeSpan.FromHours(24));
        early.Headers.RetryAfter.ShouldNotBeNull();

        fixture.Host.Clock.SetUtcNow(activeSince + TimeSpan.FromHours(24));
        var onTime = await admin.PostAsJsonAsync($"{Keys(tenant)}/{second.KeyId}/activate", new { acknowledgeRisk = true });
        onTime.StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var after = await WaitForStateAsync(admin, tenant, second.KeyId, TenantKeyState.Active);
        after.Keys.Single(k => k.KeyId == first.KeyId).State.ShouldBe(TenantKeyState.Available);
        after.NextActivationAllowedAt.ShouldBe(activeSince + TimeSpan.FromHours(48));
    }

    [Fact]
    [Trait("Rule", "K3")]
    public async Task A_generated_key_comes_back_once_as_a_pfx_that_opens_with_its_password_and_matches_the_vault_K3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        const string password = "correct horse battery staple";

        var response = await admin.PostAsJsonAsync($"{Keys(tenant)}/generate",
            new { name = "generated", password, confirmPassword = password, acknowledgeRisk = true });

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/x-pkcs12");
        var pfx = await response.Content.ReadAsByteArrayAsync();
        using var certificate = X509CertificateLoader.LoadPkcs12(pfx, password, X509KeyStorageFlags.EphemeralKeySet);
        using var key = certificate.GetRSAPrivateKey()!;
        key.KeySize.ShouldBe(2048);
        var thumbprint = KeyFiles.Thumbprint(key);
        response.Headers.GetValues("X-Key-Thumbprint").Single().ShouldBe(thumbprint);
        var keyId = response.Headers.GetValues("X-Key-Id").Single();
        (await WaitForStateAsync(admin, tenant, keyId, TenantKeyState.Active)).Keys.Single().Thumbprint.ShouldBe(thumbprint);
    }

    [Theory]
    [Trait("Rule", "K3")]
    [InlineData("one long password", "another long password", "do not match")]
    [InlineData("short", "short", "at least 12")]
    public async Task Generating_with_passwords_that_differ_or_are_short_is_refused_K3(string password, string confirmation, string reason)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();

        var response = await admin.PostAsJsonAsync($"{Keys(tenant)}/generate",
            new { name = "generated", password, confirmPassword = confirmation, acknowledgeRisk = true });

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!;
        problem.Rule.ShouldBe(Rules.K3);
        problem.Detail!.ShouldContain(reason);
    }

    [Fact]
    [Trait("Rule", "K4")]
    public async Task A_byok_built_by_the_project_tool_for_the_regions_key_exchange_key_imports_and_installs_K4()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        await UploadAsync(admin, tenant, "first", KeyFiles.Fixture("rsa2048.pfx"), "first.pfx", KeyFiles.FixturePassword);
        var kek = (await admin.GetFromJsonAsync<KeyExchangeKeyInfo>($"/v1/regions/{Region}/key-exchange-key", Json.Options))!;
        using var kekPublic = RSA.Create();
        kekPublic.ImportFromPem(kek.PublicKeyPem);
        using var hsmKey = RSA.Create(2048);
        var byok = ByokFile.Create(hsmKey.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);

        var uploaded = await UploadAsync(admin, tenant, "from the hsm", byok, "key.byok", password: null);

        uploaded.Thumbprint.ShouldBe(KeyFiles.Thumbprint(hsmKey));
        fixture.Host.Clock.Advance(TimeSpan.FromDays(2));
        (await admin.PostAsJsonAsync($"{Keys(tenant)}/{uploaded.KeyId}/activate", new { acknowledgeRisk = true }))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await WaitForStateAsync(admin, tenant, uploaded.KeyId, TenantKeyState.Active);
    }

    public static TheoryData<string, string, string?, string> HostileFiles => new()
    {
        { "rsa2048.pfx", "rsa2048.pfx", null, "password" },
        { "rsa2048.pfx", "rsa2048.pfx", "not the password", "password" },
        { "no-password.pfx", "no-password.pfx", "", "password" },
        { "empty-password.pfx", "empty-password.pfx", "", "password" },
        { "ec-p256.pfx", "ec.pfx", KeyFiles.FixturePassword, "RSA" },
        { "rsa1024.pfx", "small.pfx", KeyFiles.FixturePassword, "1024" },
        { "rsa4096.pfx", "large.pfx", KeyFiles.FixturePassword, "4096" },
        { "cert-only.pfx", "public.pfx", KeyFiles.FixturePassword, "private" },
    };

    [Theory]
    [Trait("Rule", "K2")]
    [MemberData(nameof(HostileFiles))]
    public async Task A_hostile_key_file_is_refused_with_the_requirement_it_breaks_and_nothing_is_stored_K2(
        string fixtureName, string fileName, string? password, string reason)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();

        var response = await admin.PostAsync(Keys(tenant), KeyFiles.Upload("hostile", KeyFiles.Fixture(fixtureName), fileName, password));

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!;
        problem.Rule.ShouldBe(Rules.K2);
        problem.Detail!.ShouldContain(reason, Case.Insensitive);
        (await admin.GetAsync(Keys(tenant))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [Trait("Rule", "K2")]
    [InlineData("corrupt")]
    [InlineData("oversized")]
    [InlineData("tampered-byok")]
    [InlineData("byok-for-another-kek")]
    public async Task Corrupt_oversized_and_foreign_files_are_refused_K2(string kind)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var (file, name) = kind switch
        {
            "corrupt" => (RandomNumberGenerator.GetBytes(3000), "corrupt.pfx"),
            "oversized" => (RandomNumberGenerator.GetBytes(300 * 1024), "huge.pfx"),
            "tampered-byok" => (await TamperedByokAsync(admin), "tampered.byok"),
            _ => (ByokForAnotherKek(), "foreign.byok"),
        };

        var response = await admin.PostAsync(Keys(tenant), KeyFiles.Upload("hostile", file, name, KeyFiles.FixturePassword));

        response.StatusCode.ShouldBeOneOf(HttpStatusCode.Conflict, HttpStatusCode.RequestEntityTooLarge);
        if (response.StatusCode == HttpStatusCode.Conflict)
            (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!.Rule.ShouldBe(Rules.K2);
        (await admin.GetAsync(Keys(tenant))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [Trait("Rule", "K2")]
    [InlineData(ForgedKeys.Forgery.ChangedPrivateExponent)]
    [InlineData(ForgedKeys.Forgery.AnotherKeysPrivateFields)]
    public async Task A_byok_with_the_right_public_key_and_made_up_private_fields_is_refused_and_nothing_is_stored_K2(
        ForgedKeys.Forgery forgery)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var kek = (await admin.GetFromJsonAsync<KeyExchangeKeyInfo>($"/v1/regions/{Region}/key-exchange-key", Json.Options))!;
        using var kekPublic = RSA.Create();
        kekPublic.ImportFromPem(kek.PublicKeyPem);
        using var someonesKey = RSA.Create(2048);
        var byok = ByokFile.Create(ForgedKeys.Pkcs8WithMadeUpPrivateFields(someonesKey, forgery), kekPublic, kek.Kid);

        var response = await admin.PostAsync(Keys(tenant), KeyFiles.Upload("forged", byok, "forged.byok", null));

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!;
        problem.Rule.ShouldBe(Rules.K2);
        problem.Detail!.ShouldContain("does not match its public key");
        (await admin.GetAsync(Keys(tenant))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static async Task<byte[]> TamperedByokAsync(HttpClient admin)
    {
        var kek = (await admin.GetFromJsonAsync<KeyExchangeKeyInfo>($"/v1/regions/{Region}/key-exchange-key", Json.Options))!;
        using var kekPublic = RSA.Create();
        kekPublic.ImportFromPem(kek.PublicKeyPem);
        using var key = RSA.Create(2048);
        var json = System.Text.Json.Nodes.JsonNode.Parse(ByokFile.Create(key.ExportPkcs8PrivateKey(), kekPublic, kek.Kid))!;
        var ciphertext = json["ciphertext"]!.GetValue<string>().ToCharArray();
        ciphertext[^20] = ciphertext[^20] == 'A' ? 'B' : 'A';
        json["ciphertext"] = new string(ciphertext);
        return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static byte[] ByokForAnotherKek()
    {
        using var otherKek = RSA.Create(2048);
        using var key = RSA.Create(2048);
        return ByokFile.Create(key.ExportPkcs8PrivateKey(), otherKek, "someone-elses-kek");
    }

    [Fact]
    [Trait("Rule", "A1")]
    public async Task An_upload_without_acknowledging_the_risk_is_refused_A1()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();

        var response = await admin.PostAsync(Keys(tenant),
            KeyFiles.Upload("key", KeyFiles.Fixture("rsa2048.pfx"), "key.pfx", KeyFiles.FixturePassword, acknowledgeRisk: false));

        (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!.Rule.ShouldBe(Rules.A1);
    }

    [Fact]
    [Trait("Rule", "T1")]
    public async Task A_tenant_without_the_feature_cannot_upload_a_key_T1()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        var admin = fixture.Host.ClientFor(tenant, KeyPlatform.ServiceDefaults.Auth.PlatformRoles.PowerPlatformAdmin);

        var response = await admin.PostAsync(Keys(tenant), KeyFiles.Upload("key", KeyFiles.Fixture("rsa2048.pfx"), "key.pfx", KeyFiles.FixturePassword));

        (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!.Rule.ShouldBe(Rules.T1);
    }
}

public sealed record Problem(string? Type, string? Title, int Status, string? Detail, string? Rule, DateTimeOffset? AllowedAt);

public static class Json
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
