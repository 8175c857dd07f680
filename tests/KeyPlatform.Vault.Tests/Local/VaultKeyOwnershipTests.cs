using System.Security.Cryptography;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Local;

/// <summary>
/// Every vault key is bound to its owner when it is created or imported, and every wrap and unwrap names the owner and
/// thumbprint it expects: a key of another tenant, of another region, the platform key where a tenant key is expected,
/// or a key whose thumbprint differs is refused, and nothing is wrapped, unwrapped or opened.
/// </summary>
public sealed class VaultKeyOwnershipTests(VaultDatabase database) : IClassFixture<VaultDatabase>
{
    private const string Region = "westeurope";
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", Region);
    private static readonly VaultKeyOwner Fabrikam = VaultKeyOwner.Tenant("fabrikam", Region);

    private readonly IKeyVault _vault = new ResilientKeyVault(database.Vault);

    [Fact, Trait("Rule", "K1")]
    public async Task Imported_generated_and_platform_keys_carry_their_owner_K1()
    {
        using var key = TestKeys.Rsa2048();

        var imported = await _vault.ImportAsync(new VaultKeyName("contoso key"), VaultKeyOwner.Tenant("contoso", "westeurope"), key);
        var generated = await _vault.GenerateAsync(new VaultKeyName("fabrikam key"), Fabrikam, "a long passphrase");
        var platform = await _vault.GetOrCreatePlatformKeyAsync(Region);

        imported.Owner.ShouldBe(Contoso);
        generated.Info.Owner.ShouldBe(Fabrikam);
        platform.Owner.ShouldBe(VaultKeyOwner.Platform(Region));
        (await OwnerColumnsAsync(imported.KeyId)).ShouldBe(("tenant", "contoso", Region));
        await Should.ThrowAsync<ArgumentException>(() => _vault.ImportAsync(new VaultKeyName("no"), VaultKeyOwner.Platform(Region), key));
    }

    [Fact, Trait("Rule", "K1")]
    public async Task Wrapping_with_another_tenants_key_is_refused_and_wraps_nothing_K1()
    {
        using var key = TestKeys.Rsa2048();
        var fabrikams = await _vault.ImportAsync(new VaultKeyName("fabrikam key"), Fabrikam, key);

        var refused = await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            _vault.WrapAsync(fabrikams.Reference with { Owner = Contoso }, RandomNumberGenerator.GetBytes(32)));

        refused.KeyId.ShouldBe(fabrikams.KeyId);
        refused.Message.ShouldContain("another owner");
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            _vault.WrapAsync(fabrikams.Reference with { Owner = VaultKeyOwner.Tenant("fabrikam", "northeurope") }, new byte[32]));
    }

    [Fact, Trait("Rule", "K1")]
    public async Task Wrapping_with_the_platform_key_where_a_tenant_key_is_expected_is_refused_K1()
    {
        var platform = await _vault.GetOrCreatePlatformKeyAsync(Region);

        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            _vault.WrapAsync(platform.Reference with { Owner = Contoso }, RandomNumberGenerator.GetBytes(32)));
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            _vault.WrapAsync(platform.Reference with { Owner = VaultKeyOwner.Platform("northeurope") }, new byte[32]));
        (await _vault.WrapAsync(platform.Reference, new byte[32])).KeyId.ShouldBe(platform.KeyId);
    }

    [Fact, Trait("Rule", "K1")]
    public async Task Wrapping_with_a_key_whose_thumbprint_differs_from_the_expected_one_is_refused_K1()
    {
        using var key = TestKeys.Rsa2048();
        using var other = RSA.Create(2048);
        var contosos = await _vault.ImportAsync(new VaultKeyName("contoso key"), Contoso, key);

        var refused = await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            _vault.WrapAsync(contosos.Reference with { Thumbprint = KeyThumbprint.Of(other) }, RandomNumberGenerator.GetBytes(32)));

        refused.Message.ShouldContain("thumbprint");
    }

    [Fact, Trait("Rule", "K1")]
    public async Task Unwrapping_another_tenants_wrapped_data_key_is_refused_opens_nothing_and_changes_nothing_K1()
    {
        using var key = TestKeys.Rsa2048();
        var fabrikams = await _vault.ImportAsync(new VaultKeyName("fabrikam key"), Fabrikam, key);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await _vault.WrapAsync(fabrikams.Reference, dataKey);
        var freshProcess = database.NewVault();
        var rowsBefore = await CountRowsAsync();

        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            freshProcess.UnwrapAsync(fabrikams.Reference with { Owner = Contoso }, wrapped.Ciphertext, wrapped.Algorithm));
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            freshProcess.UnwrapAsync(fabrikams.Reference with { Owner = VaultKeyOwner.Platform(Region) }, wrapped.Ciphertext, wrapped.Algorithm));

        freshProcess.PrivateKeys.Contains(fabrikams.KeyId).ShouldBeFalse("a refused unwrap does not even open the private key");
        (await CountRowsAsync()).ShouldBe(rowsBefore);
        using var theOwners = await freshProcess.UnwrapAsync(fabrikams.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        theOwners.PlaintextKey.ShouldBe(dataKey);
    }

    [Fact, Trait("Rule", "K1")]
    public async Task An_owner_changed_in_the_database_no_longer_opens_the_key_K1()
    {
        using var key = TestKeys.Rsa2048();
        var fabrikams = await _vault.ImportAsync(new VaultKeyName("fabrikam key"), Fabrikam, key);
        var wrapped = await _vault.WrapAsync(fabrikams.Reference, new byte[32]);

        await database.ExecuteAsync($"UPDATE \"{database.Schema}\".keys SET tenant_id = 'contoso' WHERE key_id = @id", ("id", fabrikams.KeyId));

        await Should.ThrowAsync<CryptographicException>(() =>
            database.NewVault().UnwrapAsync(fabrikams.Reference with { Owner = Contoso }, wrapped.Ciphertext, wrapped.Algorithm));
    }

    [Fact, Trait("Rule", "K1")]
    public async Task A_vault_table_of_the_first_shape_is_upgraded_its_region_keys_keep_working_and_its_ownerless_tenant_keys_are_refused_K1()
    {
        var schema = database.NewSchemaName();
        using var platformKey = RSA.Create(2048);
        using var tenantKey = TestKeys.Rsa2048();
        await CreateFirstShapeTableAsync(schema);
        await InsertFirstShapeRowAsync(schema, "platform-old", "platform", Region, platformKey);
        await InsertFirstShapeRowAsync(schema, "key-old", "tenant", null, tenantKey);
        var vault = database.NewVault(schema);
        var platformThumbprint = KeyThumbprint.Of(platformKey);

        var platform = await vault.GetOrCreatePlatformKeyAsync(Region);
        var wrapped = await vault.WrapAsync(platform.Reference, new byte[32]);
        using (var unwrapped = await vault.UnwrapAsync(platform.Reference, wrapped.Ciphertext, wrapped.Algorithm))
        {
            unwrapped.PlaintextKey.ShouldBe(new byte[32]);
        }

        platform.KeyId.ShouldBe("platform-old");
        platform.Thumbprint.ShouldBe(platformThumbprint);
        var ownerless = await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            vault.WrapAsync(new VaultKeyReference("key-old", Contoso, KeyThumbprint.Of(tenantKey)), new byte[32]));
        ownerless.Message.ShouldContain("before the vault recorded owners");

        // New keys go in beside the old rows, several per tenant and region.
        var first = await vault.ImportAsync(new VaultKeyName("new one"), Contoso, tenantKey);
        var second = await vault.ImportAsync(new VaultKeyName("new two"), Contoso, tenantKey);
        first.KeyId.ShouldNotBe(second.KeyId);
        (await database.NewVault(schema).GetOrCreatePlatformKeyAsync(Region)).KeyId.ShouldBe("platform-old");
    }

    private async Task CreateFirstShapeTableAsync(string schema) => await database.ExecuteAsync($"""
        CREATE SCHEMA "{schema}";
        CREATE TABLE "{schema}".keys (
            key_id             text        PRIMARY KEY,
            version            text        NOT NULL,
            purpose            text        NOT NULL CHECK (purpose IN ('tenant', 'platform', 'key-exchange')),
            name               text        NOT NULL,
            region             text        NULL,
            thumbprint         text        NOT NULL,
            public_key         bytea       NOT NULL,
            sealed_private_key bytea       NOT NULL,
            created_at         timestamptz NOT NULL,
            CONSTRAINT keys_region_only_for_region_keys CHECK ((purpose = 'tenant') = (region IS NULL)),
            CONSTRAINT keys_one_per_purpose_and_region UNIQUE (purpose, region)
        );
        """);

    /// <summary>A row as the first vault wrote it: sealed with the first binding (id, purpose, thumbprint).</summary>
    private async Task InsertFirstShapeRowAsync(string schema, string keyId, string purpose, string? region, RSA key)
    {
        var thumbprint = KeyThumbprint.Of(key);
        using var masterKey = MasterKey.FromBytes(database.MasterKeyBytes);
        var sealedKey = masterKey.Seal(key.ExportPkcs8PrivateKey(), $"keyplatform-vault-v1|{keyId}|{purpose}|{thumbprint}");
        await database.ExecuteAsync($"""
            INSERT INTO "{schema}".keys (key_id, version, purpose, name, region, thumbprint, public_key, sealed_private_key, created_at)
            VALUES (@id, 'v1', @purpose, 'old', @region, @thumbprint, @spki, @sealed, now())
            """,
            ("id", keyId), ("purpose", purpose), ("region", (object?)region ?? DBNull.Value), ("thumbprint", thumbprint),
            ("spki", key.ExportSubjectPublicKeyInfo()), ("sealed", sealedKey));
    }

    private async Task<(string, string?, string?)> OwnerColumnsAsync(string keyId)
    {
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT purpose, tenant_id, region FROM \"{database.Schema}\".keys WHERE key_id = @id", connection);
        command.Parameters.AddWithValue("id", keyId);
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    private async Task<long> CountRowsAsync()
    {
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{database.Schema}\".keys", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
