using System.Security.Cryptography;
using KeyPlatform.ByokTool;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Local;

/// <summary>The local vault on the real PostgreSQL, in this class's own schema.</summary>
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
    public async Task Imported_key_wraps_a_data_key_with_RSA_OAEP_SHA256_and_unwraps_it_D1()
    {
        using var tenantKey = TestKeys.FixtureRsa2048();
        var info = await _vault.ImportAsync(new VaultKeyName("contoso key"), Contoso, tenantKey);
        var dataKey = RandomNumberGenerator.GetBytes(32);

        var wrapped = await _vault.WrapAsync(info.Reference, dataKey);
        using var unwrapped = await _vault.UnwrapAsync(info.Reference, wrapped.Ciphertext);

        unwrapped.PlaintextKey.ShouldBe(dataKey);
        (wrapped.KeyId, wrapped.Version).ShouldBe((info.KeyId, info.Version));
        (unwrapped.KeyId, unwrapped.Version).ShouldBe((info.KeyId, info.Version));
        wrapped.Ciphertext.ShouldNotBe(dataKey);
        // The admin's own copy of the key opens it too: the wrap really is RSA-OAEP-SHA256 with this key.
        tenantKey.Decrypt(wrapped.Ciphertext, RSAEncryptionPadding.OaepSHA256).ShouldBe(dataKey);
        info.Thumbprint.ShouldBe(KeyThumbprint.Of(tenantKey));
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

    [Fact, Trait("Rule", "D1")]
    public async Task Platform_key_of_a_region_wraps_and_unwraps_data_keys_D1()
    {
        var platformKey = await _vault.GetOrCreatePlatformKeyAsync("westeurope");
        var dataKey = RandomNumberGenerator.GetBytes(32);

        var wrapped = await _vault.WrapAsync(platformKey.Reference, dataKey);
        using var unwrapped = await _vault.UnwrapAsync(platformKey.Reference, wrapped.Ciphertext);

        unwrapped.PlaintextKey.ShouldBe(dataKey);
        (await _vault.GetOrCreatePlatformKeyAsync("westeurope")).ShouldBe(platformKey);
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

    [Fact, Trait("Rule", "K3")]
    public async Task Generated_key_comes_once_as_a_pfx_that_opens_with_its_password_and_matches_the_vault_K3()
    {
        const string password = "typed twice by the admin";

        var generated = await _vault.GenerateAsync(new VaultKeyName("generated key"), Contoso, password);

        var read = KeyFileReader.ReadPfx(generated.Pfx, password);
        read.IsRefused.ShouldBeFalse(read.Refusal?.Reason);
        using var fromPfx = read.Value;
        fromPfx.Thumbprint.ShouldBe(generated.Info.Thumbprint);
        (await _vault.GetThumbprintAsync(generated.Info.KeyId)).ShouldBe(generated.Info.Thumbprint);
        KeyFileReader.ReadPfx(generated.Pfx, "wrong password").IsRefused.ShouldBeTrue();
        generated.ToString().ShouldNotContain(Convert.ToBase64String(generated.Pfx)[..24]);

        // What the vault wraps, the admin's .pfx unwraps: it is the same key.
        var wrapped = await _vault.WrapAsync(generated.Info.Reference, RandomNumberGenerator.GetBytes(32));
        Should.NotThrow(() => fromPfx.PrivateKey.Decrypt(wrapped.Ciphertext, RSAEncryptionPadding.OaepSHA256));
    }

    [Fact, Trait("Rule", "K3")]
    public async Task Generate_without_a_password_is_rejected_K3()
    {
        await Should.ThrowAsync<ArgumentException>(() => _vault.GenerateAsync(new VaultKeyName("no password"), Contoso, ""));
    }

    [Fact, Trait("Rule", "K4")]
    public async Task Byok_wrapped_for_the_regions_key_exchange_key_imports_and_wraps_and_unwraps_K4()
    {
        var kek = await _vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var kekPublic = TestKeys.FromPem(kek.PublicKeyPem);
        using var tenantKey = TestKeys.Rsa2048();
        var byok = ByokFile.Create(tenantKey.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);

        var imported = await ImportProvedByokAsync("from the HSM", byok, ByokRegion);

        imported.IsRefused.ShouldBeFalse(imported.Refusal?.Reason);
        imported.Value.Thumbprint.ShouldBe(KeyThumbprint.Of(tenantKey));
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await _vault.WrapAsync(imported.Value.Reference, dataKey);
        using var unwrapped = await _vault.UnwrapAsync(imported.Value.Reference, wrapped.Ciphertext);
        unwrapped.PlaintextKey.ShouldBe(dataKey);
        kekPublic.KeySize.ShouldBe(LocalKeyVault.KeyExchangeKeySizeBits);
        kek.PublicKeyPem.ShouldStartWith("-----BEGIN PUBLIC KEY-----");
    }

    [Fact, Trait("Rule", "K4")]
    public async Task Byok_made_by_the_byok_tool_for_the_vaults_key_exchange_key_imports_K4()
    {
        var kek = await _vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var workspace = new TemporaryDirectory();
        var kekPath = workspace.Write("kek.pem", kek.PublicKeyPem);
        var outPath = workspace.PathOf("tenant.byok");
        var request = new ByokExportRequest(kekPath, kek.Kid, Fixtures.PathOf("rsa2048.pfx"), Fixtures.Password, outPath);

        ByokExport.Run(request, TextWriter.Null, TextWriter.Null).ShouldBe(ByokExport.Succeeded);
        var imported = await ImportProvedByokAsync("via the tool", File.ReadAllBytes(outPath), ByokRegion);

        imported.IsRefused.ShouldBeFalse(imported.Refusal?.Reason);
        using var expected = TestKeys.FixtureRsa2048();
        imported.Value.Thumbprint.ShouldBe(KeyThumbprint.Of(expected));
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

    [Fact, Trait("Rule", "K2")]
    public async Task Byok_for_a_region_without_a_key_exchange_key_is_refused_K2()
    {
        using var kek = TestKeys.KeyExchangeKey();
        var byok = ByokFile.Create(TestKeys.Rsa2048Pkcs8(), kek.PrivateKey, kek.Kid);

        var imported = await ImportProvedByokAsync("nowhere", byok, "antarctica");

        imported.IsRefused.ShouldBeTrue();
        imported.Refusal!.Reason.ShouldContain("no key-exchange key");
    }

    [Fact, Trait("Rule", "L1"), Trait("Rule", "U1")]
    public async Task The_same_key_has_one_thumbprint_as_pfx_as_byok_and_in_the_vault_L1_U1()
    {
        var kek = await _vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var kekPublic = TestKeys.FromPem(kek.PublicKeyPem);
        using var fromPfx = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), Fixtures.Password).Value;
        var byok = ByokFile.Create(fromPfx.PrivateKey.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);

        var stored = await _vault.ImportAsync(new VaultKeyName("the locking key"), Contoso, fromPfx.PrivateKey);
        var fromByok = await PossessionProof.ProveByokAsync(_vault, byok, ByokRegion, PossessionProof.LockPurpose, CancellationToken.None);

        fromByok.Value.ShouldBe(fromPfx.Thumbprint);
        (await _vault.GetThumbprintAsync(stored.KeyId)).ShouldBe(fromPfx.Thumbprint);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Deleted_key_is_gone_and_nothing_unwraps_with_it_any_more_D4()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await _vault.ImportAsync(new VaultKeyName("to be locked"), Contoso, tenantKey);
        var wrapped = await _vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));
        var otherProcess = database.NewVault();
        var otherInstance = new ResilientKeyVault(otherProcess);
        (await otherInstance.UnwrapAsync(info.Reference, wrapped.Ciphertext)).Dispose(); // now cached over there
        otherProcess.PrivateKeys.Contains(info.KeyId).ShouldBeTrue();

        (await _vault.DeleteAsync(info.KeyId)).ShouldBeTrue();

        (await _vault.DeleteAsync(info.KeyId)).ShouldBeFalse();
        (await _vault.ExistsAsync(info.KeyId)).ShouldBeFalse();
        var notFound = await Should.ThrowAsync<VaultKeyNotFoundException>(() => _vault.UnwrapAsync(info.Reference, wrapped.Ciphertext));
        notFound.KeyId.ShouldBe(info.KeyId);
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => otherInstance.UnwrapAsync(info.Reference, wrapped.Ciphertext));
        otherProcess.PrivateKeys.Contains(info.KeyId).ShouldBeFalse();
        database.Vault.PrivateKeys.Contains(info.KeyId).ShouldBeFalse();
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => _vault.WrapAsync(info.Reference, new byte[32]));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => _vault.GetThumbprintAsync(info.KeyId));
        (await CountRowsAsync("key_id = @id", ("id", info.KeyId))).ShouldBe(0);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Platform_and_key_exchange_keys_cannot_be_deleted_and_a_key_exchange_key_wraps_nothing_D4()
    {
        var platformKey = await _vault.GetOrCreatePlatformKeyAsync("canadacentral");
        var kek = await _vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);

        await Should.ThrowAsync<InvalidOperationException>(() => _vault.DeleteAsync(platformKey.KeyId));
        await Should.ThrowAsync<InvalidOperationException>(() => _vault.DeleteAsync(kek.Kid));
        await Should.ThrowAsync<InvalidOperationException>(() => _vault.WrapAsync(new VaultKeyReference(kek.Kid, VaultKeyOwner.KeyExchange(ByokRegion), "any"), new byte[32]));
        (await _vault.ExistsAsync(platformKey.KeyId)).ShouldBeTrue();
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

        await Should.ThrowAsync<CryptographicException>(() => stranger.UnwrapAsync(info.Reference, wrapped.Ciphertext));
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
        await Should.ThrowAsync<CryptographicException>(() => _vault.UnwrapAsync(attacker.Reference, wrapped.Ciphertext));

        await database.ExecuteAsync(
            $"UPDATE \"{database.Schema}\".keys SET public_key = @spki, thumbprint = @thumbprint WHERE key_id = @id",
            ("spki", second.ExportSubjectPublicKeyInfo()), ("thumbprint", KeyThumbprint.Of(second)), ("id", victim.KeyId));
        // Even a reference that names the swapped thumbprint (what the tampered row claims) wraps nothing.
        await Should.ThrowAsync<CryptographicException>(() =>
            _vault.WrapAsync(victim.Reference with { Thumbprint = KeyThumbprint.Of(second) }, new byte[32]));
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Unwrapping_a_data_key_with_the_wrong_key_fails_as_crypto_not_as_not_found_D1()
    {
        using var first = TestKeys.Rsa2048();
        using var second = RSA.Create(2048);
        var one = await _vault.ImportAsync(new VaultKeyName("one"), Contoso, first);
        var two = await _vault.ImportAsync(new VaultKeyName("two"), Contoso, second);
        var wrapped = await _vault.WrapAsync(one.Reference, RandomNumberGenerator.GetBytes(32));

        await Should.ThrowAsync<CryptographicException>(() => _vault.UnwrapAsync(two.Reference, wrapped.Ciphertext));
    }

    [Fact, Trait("Rule", "K2")]
    public async Task Vault_refuses_to_import_a_key_that_is_not_RSA_2048_K2()
    {
        using var small = RSA.Create(1024);

        await Should.ThrowAsync<ArgumentException>(() => _vault.ImportAsync(new VaultKeyName("too small"), Contoso, small));
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
