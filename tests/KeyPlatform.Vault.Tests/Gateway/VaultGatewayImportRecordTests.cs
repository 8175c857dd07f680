using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.Tests.Support;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>An import and its ownership record go together: a record that cannot be stored takes the key back out of the
/// store and answers 503 (docs/decisions/0020-vault-gateway.md). Its own host: the record table is made to fail.</summary>
public sealed class VaultGatewayImportRecordTests(VaultGatewayHost host) : IClassFixture<VaultGatewayHost>
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    [Fact, Trait("Rule", "VAULT_UNAVAILABLE")]
    public async Task An_import_whose_record_cannot_be_stored_is_deleted_again_and_answers_503_VAULT_UNAVAILABLE()
    {
        using var key = TestKeys.Rsa2048();
        var client = host.Client(VaultGatewayClients.TenantLock);
        (await client.DeleteAsync((await client.ImportAsync(new VaultKeyName("creates the record table"), Contoso, key)).KeyId)).ShouldBeTrue();
        var before = await StoredKeysAsync();
        await ExecuteAsync($"""
            CREATE FUNCTION "{host.MartenSchema}".refuse_record() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the record store fails'; END $$;
            CREATE TRIGGER refuse_record BEFORE INSERT OR UPDATE ON "{host.MartenSchema}".mt_doc_vaultgatewayimport
            FOR EACH ROW EXECUTE FUNCTION "{host.MartenSchema}".refuse_record();
            """);
        try
        {
            using var response = await host.Http($"{VaultGatewayClients.TenantLock}:{VaultGatewayHost.TenantLockSecret}").PostAsJsonAsync(
                VaultGatewayProtocol.ImportPath, new VaultGatewayImportRequest("unlock of a cycle", VaultGatewayOwner.From(Contoso),
                    VaultGatewayJsonWebKey.From(key.ExportParameters(true))));

            response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            response.Headers.RetryAfter.ShouldNotBeNull();
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            problem.RootElement.GetProperty("rule").GetString().ShouldBe("VAULT_UNAVAILABLE");
            (await StoredKeysAsync()).ShouldBe(before);
            await Should.ThrowAsync<VaultUnavailableException>(() => client.ImportAsync(new VaultKeyName("again"), Contoso, key));
            (await StoredKeysAsync()).ShouldBe(before);
        }
        finally
        {
            await ExecuteAsync($"""DROP TRIGGER refuse_record ON "{host.MartenSchema}".mt_doc_vaultgatewayimport;""");
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await host.Database.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> StoredKeysAsync()
    {
        await using var connection = await host.Database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{host.Database.Schema}\".keys", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
