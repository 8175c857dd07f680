using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Conformance;

/// <summary>The conformance suite on the local vault: PostgreSQL, this class's own schema (and, with
/// <see cref="EnvelopedLocalKeyVaultConformance"/>, a master key wrapped on the token).</summary>
public class LocalKeyVaultConformance(VaultDatabase database) : KeyVaultConformance, IClassFixture<VaultDatabase>
{
    protected override IKeyVault Vault { get; } = new ResilientKeyVault(database.Vault);

    protected override string ExpectedWrappingAlgorithm => WrappingAlgorithm.RsaOaep256;

    protected override IKeyVault NewInstance() => new ResilientKeyVault(database.NewVault());

    protected override Task<long> StoredKeyCountAsync() => CountRowsAsync("true");

    protected override async Task<bool> KeyMaterialIsStoredAsync(string keyId) =>
        await CountRowsAsync("key_id = @id", ("id", keyId)) > 0;

    [Fact, Trait("Rule", "D1")]
    public void The_local_vault_wraps_with_RSA_OAEP_SHA256_D1() =>
        database.Vault.PreferredWrappingAlgorithm.ShouldBe(WrappingAlgorithm.RsaOaep256);

    [Fact, Trait("Rule", "D3")]
    public async Task A_data_key_stored_before_algorithms_were_recorded_unwraps_as_RSA_OAEP_SHA256_D3()
    {
        using var tenantKey = TestKeys.FixtureRsa2048();
        var info = await Vault.ImportAsync(new VaultKeyName("older data"), Contoso, tenantKey);
        var dataKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var storedBeforeTheRecord = tenantKey.Encrypt(dataKey, System.Security.Cryptography.RSAEncryptionPadding.OaepSHA256);

        using var unwrapped = await Vault.UnwrapAsync(info.Reference, storedBeforeTheRecord, WrappingAlgorithm.OrDefault(null));

        unwrapped.PlaintextKey.ShouldBe(dataKey);
    }

    [Fact, Trait("Rule", "D3")]
    public async Task The_local_vault_also_unwraps_what_was_wrapped_with_RSA_OAEP_SHA1_D3()
    {
        using var tenantKey = TestKeys.FixtureRsa2048();
        var info = await Vault.ImportAsync(new VaultKeyName("from an HSM"), Contoso, tenantKey);
        var dataKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var wrappedOnSoftHsm = tenantKey.Encrypt(dataKey, System.Security.Cryptography.RSAEncryptionPadding.OaepSHA1);

        using var unwrapped = await Vault.UnwrapAsync(info.Reference, wrappedOnSoftHsm, WrappingAlgorithm.RsaOaep);

        unwrapped.PlaintextKey.ShouldBe(dataKey);
        await Should.ThrowAsync<System.Security.Cryptography.CryptographicException>(() =>
            Vault.UnwrapAsync(info.Reference, wrappedOnSoftHsm, WrappingAlgorithm.RsaOaep256));
    }

    private async Task<long> CountRowsAsync(string where, params (string Name, object Value)[] parameters)
    {
        await database.Vault.ExistsAsync("schema-created-first");
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{database.Schema}\".keys WHERE {where}", connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }
}
