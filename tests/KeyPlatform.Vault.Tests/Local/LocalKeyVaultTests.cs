using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Local;

/// <summary>What only the local vault does, on the real PostgreSQL, in this class's own schema; what every adapter does is in
/// Conformance/KeyVaultConformance.cs, run on this vault by LocalKeyVaultConformance.</summary>
public sealed class LocalKeyVaultTests(VaultDatabase database) : IClassFixture<VaultDatabase>
{
    /// <summary>Creating a 4096-bit key-exchange key takes seconds: the tests that need any one share this region's.</summary>
    private const string ByokRegion = "northeurope";

    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    private readonly IKeyVault _vault = new ResilientKeyVault(database.Vault);

    /// <summary>A .byok import as KeyService makes it: possession proved first, then the proved key stored.</summary>
    private async Task<KeyFileResult<VaultKeyInfo>> ImportProvedByokAsync(string name, byte[] byok, string region)
    {
        var proved = await PossessionProof.ProveByokAsync(_vault, byok, region, PossessionProof.ImportPurpose, CancellationToken.None);
        return proved.IsRefused
            ? proved.Refusal!
            : await _vault.ImportByokAsync(new VaultKeyName(name), VaultKeyOwner.Tenant("contoso", region), byok, proved.Value);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Key_info_carries_the_time_of_the_time_provider_D1()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var vault = database.NewVault(time: time);
        using var tenantKey = TestKeys.Rsa2048();

        var info = await vault.ImportAsync(new VaultKeyName("timed"), Contoso, tenantKey);

        info.CreatedAt.ShouldBe(time.GetUtcNow());
    }

    [Theory, Trait("Rule", "X3")]
    [InlineData("WestEurope")]
    [InlineData(" westeurope")]
    [InlineData("westeurope\u00a0")]
    [InlineData("made-up")]
    public async Task No_platform_or_key_exchange_key_is_created_for_a_region_that_is_not_configured_X3(string region)
    {
        await Should.ThrowAsync<ArgumentException>(() => _vault.GetOrCreatePlatformKeyAsync(region));
        await Should.ThrowAsync<ArgumentException>(() => _vault.GetOrCreateKeyExchangeKeyAsync(region));

        (await CountRowsAsync("region = @region", ("region", region))).ShouldBe(0);
    }

    [Fact, Trait("Rule", "K2")]
    public async Task Byok_for_another_regions_key_exchange_key_is_refused_and_nothing_is_stored_K2()
    {
        var otherRegion = await _vault.GetOrCreateKeyExchangeKeyAsync("uksouth");
        await _vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var otherPublic = TestKeys.FromPem(otherRegion.PublicKeyPem);
        var byok = ByokFile.Create(TestKeys.Rsa2048Pkcs8(), otherPublic, otherRegion.Kid);
        var rowsBefore = await CountRowsAsync();

        var imported = await ImportProvedByokAsync("wrong region", byok, ByokRegion);

        imported.IsRefused.ShouldBeTrue();
        imported.Refusal!.Rule.ShouldBe("K2");
        imported.Refusal.Reason.ShouldContain("another key-exchange key");
        (await CountRowsAsync()).ShouldBe(rowsBefore);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Deleted_key_is_gone_and_nothing_unwraps_with_it_any_more_D4()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await _vault.ImportAsync(new VaultKeyName("to be locked"), Contoso, tenantKey);
        var wrapped = await _vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));
        var otherProcess = database.NewVault();
        var otherInstance = new ResilientKeyVault(otherProcess);
        (await otherInstance.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm)).Dispose(); // now cached over there
        otherProcess.PrivateKeys.Contains(info.KeyId).ShouldBeTrue();

        (await _vault.DeleteAsync(info.KeyId)).ShouldBeTrue();

        (await _vault.DeleteAsync(info.KeyId)).ShouldBeFalse();
        (await _vault.ExistsAsync(info.KeyId)).ShouldBeFalse();
        var notFound = await Should.ThrowAsync<VaultKeyNotFoundException>(() => _vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        notFound.KeyId.ShouldBe(info.KeyId);
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => otherInstance.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        otherProcess.PrivateKeys.Contains(info.KeyId).ShouldBeFalse();
        database.Vault.PrivateKeys.Contains(info.KeyId).ShouldBeFalse();
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => _vault.WrapAsync(info.Reference, new byte[32]));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => _vault.GetThumbprintAsync(info.KeyId));
        (await CountRowsAsync("key_id = @id", ("id", info.KeyId))).ShouldBe(0);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Master_key_is_never_in_the_database_and_the_stored_blob_does_not_hold_the_private_key_D1()
    {
        using var tenantKey = TestKeys.FixtureRsa2048();
        var pkcs8 = tenantKey.ExportPkcs8PrivateKey();
        var secrets = tenantKey.ExportParameters(includePrivateParameters: true);
        var info = await _vault.ImportAsync(new VaultKeyName("inspected"), Contoso, tenantKey);
        await _vault.GetOrCreatePlatformKeyAsync("inspected-region");

        var everything = await ReadColumnsAsync("*");
        var sealedBlob = await ReadColumnsAsync("sealed_private_key", "key_id = @id", ("id", info.KeyId));

        ContainsAnyWindow(sealedBlob, pkcs8, window: 16).ShouldBeFalse("the sealed blob holds no 16 bytes of the PKCS#8 key");
        foreach (var privatePart in new[] { secrets.D!, secrets.P!, secrets.Q!, secrets.DP!, secrets.DQ!, secrets.InverseQ! })
        {
            ContainsAnyWindow(everything, privatePart, window: 16).ShouldBeFalse("no private part of the key is stored in clear");
        }

        ContainsAnyWindow(everything, database.MasterKeyBytes, window: 16).ShouldBeFalse("the master key is not stored");
        System.Text.Encoding.UTF8.GetString(everything).ShouldNotContain(Convert.ToBase64String(database.MasterKeyBytes));
    }

    [Fact, Trait("Rule", "D1")]
    public async Task A_vault_with_another_master_key_cannot_use_the_stored_keys_D1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await _vault.ImportAsync(new VaultKeyName("sealed"), Contoso, tenantKey);
        var wrapped = await _vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));
        var stranger = database.NewVault(masterKey: RandomNumberGenerator.GetBytes(32));

        await Should.ThrowAsync<CryptographicException>(() => stranger.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
    }

    [Fact, Trait("Rule", "D1")]
    public async Task A_sealed_key_moved_to_another_row_or_a_swapped_public_key_is_detected_D1()
    {
        using var first = TestKeys.Rsa2048();
        using var second = RSA.Create(2048);
        var victim = await _vault.ImportAsync(new VaultKeyName("victim"), Contoso, first);
        var attacker = await _vault.ImportAsync(new VaultKeyName("attacker"), Contoso, second);
        var wrapped = await _vault.WrapAsync(victim.Reference, RandomNumberGenerator.GetBytes(32));

        await database.ExecuteAsync(
            $"UPDATE \"{database.Schema}\".keys SET sealed_private_key = (SELECT sealed_private_key FROM \"{database.Schema}\".keys WHERE key_id = @from) WHERE key_id = @to",
            ("from", victim.KeyId), ("to", attacker.KeyId));
        await Should.ThrowAsync<CryptographicException>(() => _vault.UnwrapAsync(attacker.Reference, wrapped.Ciphertext, wrapped.Algorithm));

        await database.ExecuteAsync(
            $"UPDATE \"{database.Schema}\".keys SET public_key = @spki, thumbprint = @thumbprint WHERE key_id = @id",
            ("spki", second.ExportSubjectPublicKeyInfo()), ("thumbprint", KeyThumbprint.Of(second)), ("id", victim.KeyId));
        // Even a reference that names the swapped thumbprint (what the tampered row claims) wraps nothing.
        await Should.ThrowAsync<CryptographicException>(() =>
            _vault.WrapAsync(victim.Reference with { Thumbprint = KeyThumbprint.Of(second) }, new byte[32]));
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Platform_key_get_or_create_gives_every_concurrent_caller_the_same_key_D1()
    {
        // A brand-new schema, so the schema creation races too; two vault instances stand for two processes.
        var schema = database.NewSchemaName();
        var instances = new[] { database.NewVault(schema), database.NewVault(schema) };

        var platformKeys = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => instances[i % 2].GetOrCreatePlatformKeyAsync("brazilsouth"))));
        var keyExchangeKeys = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            Task.Run(() => instances[i % 2].GetOrCreateKeyExchangeKeyAsync("brazilsouth"))));

        platformKeys.Select(key => key.KeyId).Distinct().Count().ShouldBe(1);
        platformKeys.Distinct().Count().ShouldBe(1);
        keyExchangeKeys.Distinct().Count().ShouldBe(1);
        (await CountRowsAsync("true", schema: schema)).ShouldBe(2);
    }

    private async Task<long> CountRowsAsync(string where = "true", params (string Name, object Value)[] parameters) =>
        await CountRowsAsync(where, database.Schema, parameters);

    private async Task<long> CountRowsAsync(string where, string schema, params (string Name, object Value)[] parameters)
    {
        // The table is created on the vault's first use; a test may count before any other test used this schema.
        await database.NewVault(schema).ExistsAsync("schema-created-first");
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{schema}\".keys WHERE {where}", connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The columns of the rows, as the bytes PostgreSQL sends for them, one after the other.</summary>
    private async Task<byte[]> ReadColumnsAsync(string columns, string where = "true", params (string Name, object Value)[] parameters)
    {
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT {columns} FROM \"{database.Schema}\".keys WHERE {where}", connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync();
        using var everything = new MemoryStream();
        while (await reader.ReadAsync())
        {
            for (var column = 0; column < reader.FieldCount; column++)
            {
                var value = reader.GetValue(column);
                everything.Write(value switch
                {
                    byte[] bytes => bytes,
                    _ => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                });
            }
        }

        return everything.ToArray();
    }

    private static bool ContainsAnyWindow(byte[] haystack, byte[] needle, int window)
    {
        for (var start = 0; start + window <= needle.Length; start++)
        {
            if (haystack.AsSpan().IndexOf(needle.AsSpan(start, window)) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
