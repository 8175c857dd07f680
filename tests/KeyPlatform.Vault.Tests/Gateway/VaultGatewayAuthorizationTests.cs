using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.Tests.Support;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>
/// Who may call the vault gateway for what (docs/decisions/0020-vault-gateway.md): no credential or a wrong secret is a 401,
/// a right one for another client's operation a 403, both ProblemDetails with rule AUTHZ, and nothing is done.
/// </summary>
public sealed class VaultGatewayAuthorizationTests(VaultGatewayHost host) : IClassFixture<VaultGatewayHost>
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    private static string Credential(string client) => $"{client}:{VaultGatewayHost.SecretOf(client)}";

    private static JsonContent ImportOf(RSA key) => JsonContent.Create(new VaultGatewayImportRequest("refused",
        VaultGatewayOwner.From(Contoso), VaultGatewayJsonWebKey.From(key.ExportParameters(true))));

    public static TheoryData<string?> NotAccepted => new()
    {
        null,
        $"{VaultGatewayClients.TenantLock}:not-its-secret",
        $"{VaultGatewayClients.TenantLock}:{VaultGatewayHost.EnvironmentEncryptionSecret}", // another client's secret
        $"KeyService:{VaultGatewayHost.TenantLockSecret}", // no such client
        "no colon at all",
    };

    [Theory, Trait("Rule", "AUTHZ")]
    [MemberData(nameof(NotAccepted))]
    public async Task An_import_without_an_accepted_credential_is_a_401_and_stores_nothing_AUTHZ(string? authorization)
    {
        using var key = TestKeys.Rsa2048();
        var before = await StoredKeysAsync();

        using var response = await host.Http(authorization).PostAsync(VaultGatewayProtocol.ImportPath, ImportOf(key));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldBe(VaultGatewayProtocol.AuthorizationScheme);
        (await RuleAsync(response)).ShouldBe("AUTHZ");
        (await StoredKeysAsync()).ShouldBe(before);
    }

    [Fact, Trait("Rule", "AUTHZ")]
    public async Task EnvironmentEncryption_may_not_import_a_key_403_and_nothing_is_stored_AUTHZ()
    {
        using var key = TestKeys.Rsa2048();
        var before = await StoredKeysAsync();

        using var response = await host.Http(Credential(VaultGatewayClients.EnvironmentEncryption))
            .PostAsync(VaultGatewayProtocol.ImportPath, ImportOf(key));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await RuleAsync(response)).ShouldBe("AUTHZ");
        (await StoredKeysAsync()).ShouldBe(before);
    }

    [Fact, Trait("Rule", "AUTHZ")]
    public async Task TenantLock_may_not_unwrap_a_data_key_403_and_gets_no_plaintext_AUTHZ()
    {
        using var key = TestKeys.Rsa2048();
        var info = await host.Database.Vault.ImportAsync(new VaultKeyName("tenant key"), Contoso, key);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await host.Database.Vault.WrapAsync(info.Reference, dataKey);

        using var response = await host.Http(Credential(VaultGatewayClients.TenantLock)).PostAsJsonAsync(VaultGatewayProtocol.UnwrapKeyPath,
            VaultGatewayKeyOperation.For(info.Reference, wrapped.Algorithm, wrapped.Ciphertext));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).ShouldNotContain(System.Buffers.Text.Base64Url.EncodeToString(dataKey));
        var client = host.Client(VaultGatewayClients.TenantLock);
        (await Should.ThrowAsync<VaultGatewayRefusedException>(() => client.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm)))
            .Message.ShouldContain("'TenantLock'");
    }

    [Fact, Trait("Rule", "AUTHZ")]
    public async Task TenantLock_deletes_only_a_key_it_imported_through_the_gateway_AUTHZ()
    {
        using var key = TestKeys.Rsa2048();
        var notItsOwn = await host.Database.Vault.ImportAsync(new VaultKeyName("imported by KeyService"), Contoso, key);
        var client = host.Client(VaultGatewayClients.TenantLock);

        await Should.ThrowAsync<VaultGatewayRefusedException>(() => client.DeleteAsync(notItsOwn.KeyId));
        (await host.Database.Vault.ExistsAsync(notItsOwn.KeyId)).ShouldBeTrue();

        var itsOwn = await client.ImportAsync(new VaultKeyName("unlock of a cycle"), Contoso, key);
        (await client.DeleteAsync(itsOwn.KeyId)).ShouldBeTrue();
        (await host.Database.Vault.ExistsAsync(itsOwn.KeyId)).ShouldBeFalse();
    }

    [Fact, Trait("Rule", "U1")]
    public async Task TenantLock_may_not_delete_its_import_once_a_key_ring_reinstated_it_403_and_the_key_survives_U1()
    {
        using var key = TestKeys.Rsa2048();
        var client = host.Client(VaultGatewayClients.TenantLock);
        var unlocking = await client.ImportAsync(new VaultKeyName("unlock of a cycle"), Contoso, key);
        await host.AppendAsync(TenantKeyRing.StreamKey("contoso", "westeurope"),
            new KeyReinstated("key-1", unlocking.KeyId, "cycle-1", DateTimeOffset.UtcNow));

        using var response = await host.Http(Credential(VaultGatewayClients.TenantLock))
            .PostAsJsonAsync(VaultGatewayProtocol.DeletePath, new VaultGatewayDeleteRequest(unlocking.KeyId));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await RuleAsync(response)).ShouldBe("AUTHZ");
        (await host.Database.Vault.ExistsAsync(unlocking.KeyId)).ShouldBeTrue();
        await Should.ThrowAsync<VaultGatewayRefusedException>(() => client.DeleteAsync(unlocking.KeyId));
        (await host.Database.Vault.ExistsAsync(unlocking.KeyId)).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "AUTHZ")]
    public async Task EnvironmentEncryption_may_not_delete_a_key_AUTHZ()
    {
        using var key = TestKeys.Rsa2048();
        var imported = await host.Client(VaultGatewayClients.TenantLock).ImportAsync(new VaultKeyName("imported by TenantLock"), Contoso, key);

        using var response = await host.Http(Credential(VaultGatewayClients.EnvironmentEncryption))
            .PostAsJsonAsync(VaultGatewayProtocol.DeletePath, new VaultGatewayDeleteRequest(imported.KeyId));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Database.Vault.ExistsAsync(imported.KeyId)).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "AUTHZ")]
    public async Task A_refused_credential_reaches_the_caller_without_the_secret_AUTHZ()
    {
        var client = host.Client(VaultGatewayClients.EnvironmentEncryption, secret: "the-wrong-secret-0123456789");

        var refused = await Should.ThrowAsync<VaultGatewayRefusedException>(() => client.GetOrCreatePlatformKeyAsync("westeurope"));

        refused.Message.ShouldContain("EnvironmentEncryption");
        refused.Message.ShouldNotContain("the-wrong-secret");
    }

    private static async Task<string?> RuleAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("rule").GetString();
    }

    private async Task<long> StoredKeysAsync()
    {
        await host.Database.Vault.ExistsAsync("schema-created-first");
        await using var connection = await host.Database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{host.Database.Schema}\".keys", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
