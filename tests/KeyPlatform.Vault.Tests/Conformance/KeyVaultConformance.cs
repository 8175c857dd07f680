using System.Security.Cryptography;
using KeyPlatform.ByokTool;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.Conformance;

/// <summary>
/// What every <see cref="IKeyVault"/> adapter must do, run once per adapter by a subclass (<see cref="LocalKeyVaultConformance"/>,
/// <see cref="Pkcs11KeyVaultConformance"/>, <see cref="AzureKeyVault.AzureKeyVaultConformance"/>) on its real store (for Azure Key
/// Vault: the in-process server that follows its documented contract). A subclass says which store it is through the hooks below.
/// </summary>
public abstract class KeyVaultConformance
{
    /// <summary>Creating a 4096-bit key-exchange key takes seconds: the tests that need one share this region's.</summary>
    protected const string ByokRegion = "northeurope";

    protected static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    protected static readonly VaultKeyOwner Fabrikam = VaultKeyOwner.Tenant("fabrikam", "westeurope");

    /// <summary>The vault under test, as a service gets it.</summary>
    protected abstract IKeyVault Vault { get; }

    /// <summary>The algorithm the adapter wraps with (what <see cref="WrappedKey.Algorithm"/> must say).</summary>
    protected abstract string ExpectedWrappingAlgorithm { get; }

    /// <summary>Another instance on the same store, as another process (or the same one after a restart) has it.</summary>
    protected abstract IKeyVault NewInstance();

    /// <summary>How many keys the store holds (rows, token objects): what "nothing is stored" is checked against.</summary>
    protected abstract Task<long> StoredKeyCountAsync();

    /// <summary>Whether any trace of the key is left in the store itself (not only through the port).</summary>
    protected abstract Task<bool> KeyMaterialIsStoredAsync(string keyId);

    private async Task<KeyFileResult<VaultKeyInfo>> ImportProvedByokAsync(string name, byte[] byok, string region)
    {
        var proved = await PossessionProof.ProveByokAsync(Vault, byok, region, PossessionProof.ImportPurpose, CancellationToken.None);
        return proved.IsRefused
            ? proved.Refusal!
            : await Vault.ImportByokAsync(new VaultKeyName(name), VaultKeyOwner.Tenant("contoso", region), byok, proved.Value);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Imported_key_wraps_a_data_key_with_the_adapters_algorithm_and_unwraps_it_D1()
    {
        using var tenantKey = TestKeys.FixtureRsa2048();
        var info = await Vault.ImportAsync(new VaultKeyName("contoso key"), Contoso, tenantKey);
        var dataKey = RandomNumberGenerator.GetBytes(32);

        var wrapped = await Vault.WrapAsync(info.Reference, dataKey);
        using var unwrapped = await Vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);

        unwrapped.PlaintextKey.ShouldBe(dataKey);
        wrapped.Algorithm.ShouldBe(ExpectedWrappingAlgorithm);
        Vault.PreferredWrappingAlgorithm.ShouldBe(wrapped.Algorithm); // what K8 moves data keys to is what the store wraps with
        (wrapped.KeyId, wrapped.Version).ShouldBe((info.KeyId, info.Version));
        (unwrapped.KeyId, unwrapped.Version).ShouldBe((info.KeyId, info.Version));
        wrapped.Ciphertext.ShouldNotBe(dataKey);
        // The admin's own copy of the key opens it too: the wrap really is the recorded algorithm with this key.
        tenantKey.Decrypt(wrapped.Ciphertext, WrappingAlgorithm.Padding(wrapped.Algorithm)).ShouldBe(dataKey);
        info.Thumbprint.ShouldBe(KeyThumbprint.Of(tenantKey));
        info.Owner.ShouldBe(Contoso);
    }

    [Fact, Trait("Rule", "K4"), Trait("Rule", "L1")]
    public async Task A_pfx_key_has_the_same_thumbprint_in_every_adapter_K4_L1()
    {
        using var fromPfx = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), Fixtures.Password).Value;

        var stored = await Vault.ImportAsync(new VaultKeyName("from the pfx"), Contoso, fromPfx.PrivateKey);

        // One value for every adapter: SHA-256 of the SubjectPublicKeyInfo of the fixture's key, computed outside any vault.
        using var fixture = TestKeys.FixtureRsa2048();
        stored.Thumbprint.ShouldBe(KeyThumbprint.Of(fixture));
        (await Vault.GetThumbprintAsync(stored.KeyId)).ShouldBe(fromPfx.Thumbprint);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Platform_key_of_a_region_wraps_and_unwraps_data_keys_D1()
    {
        var platformKey = await Vault.GetOrCreatePlatformKeyAsync("westeurope");
        var dataKey = RandomNumberGenerator.GetBytes(32);

        var wrapped = await Vault.WrapAsync(platformKey.Reference, dataKey);
        using var unwrapped = await Vault.UnwrapAsync(platformKey.Reference, wrapped.Ciphertext, wrapped.Algorithm);

        unwrapped.PlaintextKey.ShouldBe(dataKey);
        (await Vault.GetOrCreatePlatformKeyAsync("westeurope")).ShouldBe(platformKey);
        (await NewInstance().GetOrCreatePlatformKeyAsync("westeurope")).ShouldBe(platformKey);
    }

    [Theory, Trait("Rule", "X3")]
    [InlineData("WestEurope")]
    [InlineData("made-up")]
    public async Task No_platform_or_key_exchange_key_is_created_for_a_region_that_is_not_configured_X3(string region)
    {
        var before = await StoredKeyCountAsync();

        await Should.ThrowAsync<ArgumentException>(() => Vault.GetOrCreatePlatformKeyAsync(region));
        await Should.ThrowAsync<ArgumentException>(() => Vault.GetOrCreateKeyExchangeKeyAsync(region));

        (await StoredKeyCountAsync()).ShouldBe(before);
    }

    [Fact, Trait("Rule", "K3")]
    public async Task Generated_key_comes_once_as_a_pfx_that_opens_with_its_password_and_matches_the_vault_K3()
    {
        const string password = "typed twice by the admin";

        var generated = await Vault.GenerateAsync(new VaultKeyName("generated key"), Contoso, password);

        var read = KeyFileReader.ReadPfx(generated.Pfx, password);
        read.IsRefused.ShouldBeFalse(read.Refusal?.Reason);
        using var fromPfx = read.Value;
        fromPfx.Thumbprint.ShouldBe(generated.Info.Thumbprint);
        (await Vault.GetThumbprintAsync(generated.Info.KeyId)).ShouldBe(generated.Info.Thumbprint);
        KeyFileReader.ReadPfx(generated.Pfx, "wrong password").IsRefused.ShouldBeTrue();
        generated.ToString().ShouldNotContain(Convert.ToBase64String(generated.Pfx)[..24]);

        // What the vault wraps, the admin's .pfx unwraps: it is the same key.
        var wrapped = await Vault.WrapAsync(generated.Info.Reference, RandomNumberGenerator.GetBytes(32));
        Should.NotThrow(() => fromPfx.PrivateKey.Decrypt(wrapped.Ciphertext, WrappingAlgorithm.Padding(wrapped.Algorithm)));
    }

    [Fact, Trait("Rule", "K3")]
    public async Task Generate_without_a_password_is_rejected_and_nothing_is_stored_K3()
    {
        var before = await StoredKeyCountAsync();

        await Should.ThrowAsync<ArgumentException>(() => Vault.GenerateAsync(new VaultKeyName("no password"), Contoso, ""));

        (await StoredKeyCountAsync()).ShouldBe(before);
    }

    [Fact, Trait("Rule", "K4")]
    public async Task Byok_wrapped_for_the_regions_key_exchange_key_imports_and_wraps_and_unwraps_K4()
    {
        var kek = await Vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var kekPublic = TestKeys.FromPem(kek.PublicKeyPem);
        using var tenantKey = TestKeys.Rsa2048();
        var byok = ByokFile.Create(tenantKey.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);

        var imported = await ImportProvedByokAsync("from the HSM", byok, ByokRegion);

        imported.IsRefused.ShouldBeFalse(imported.Refusal?.Reason);
        imported.Value.Thumbprint.ShouldBe(KeyThumbprint.Of(tenantKey));
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await Vault.WrapAsync(imported.Value.Reference, dataKey);
        using var unwrapped = await Vault.UnwrapAsync(imported.Value.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        unwrapped.PlaintextKey.ShouldBe(dataKey);
        kekPublic.KeySize.ShouldBe(4096);
        kek.PublicKeyPem.ShouldStartWith("-----BEGIN PUBLIC KEY-----");
    }

    [Fact, Trait("Rule", "K4")]
    public async Task Byok_made_by_the_byok_tool_for_the_vaults_key_exchange_key_imports_K4()
    {
        var kek = await Vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
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
    public async Task Byok_for_another_key_exchange_key_is_refused_and_nothing_is_stored_K2()
    {
        await Vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        var before = await StoredKeyCountAsync();

        // The openssl-made fixture was wrapped for a key-exchange key that is not this vault's.
        var imported = await ImportProvedByokAsync("wrong region", Fixtures.Bytes("openssl-rsa2048.byok"), ByokRegion);

        imported.IsRefused.ShouldBeTrue();
        imported.Refusal!.Rule.ShouldBe("K2");
        imported.Refusal.Reason.ShouldContain("another key-exchange key");
        (await StoredKeyCountAsync()).ShouldBe(before);
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
        var kek = await Vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var kekPublic = TestKeys.FromPem(kek.PublicKeyPem);
        using var fromPfx = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), Fixtures.Password).Value;
        var byok = ByokFile.Create(fromPfx.PrivateKey.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);

        var stored = await Vault.ImportAsync(new VaultKeyName("the locking key"), Contoso, fromPfx.PrivateKey);
        var fromByok = await PossessionProof.ProveByokAsync(Vault, byok, ByokRegion, PossessionProof.LockPurpose, CancellationToken.None);

        fromByok.Value.ShouldBe(fromPfx.Thumbprint);
        (await Vault.GetThumbprintAsync(stored.KeyId)).ShouldBe(fromPfx.Thumbprint);
    }

    [Fact, Trait("Rule", "K1")]
    public async Task Another_tenants_key_or_a_stale_thumbprint_is_refused_and_nothing_is_unwrapped_K1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var fabrikams = await Vault.ImportAsync(new VaultKeyName("fabrikam key"), Fabrikam, tenantKey);
        var wrapped = await Vault.WrapAsync(fabrikams.Reference, RandomNumberGenerator.GetBytes(32));

        var asContoso = await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            Vault.UnwrapAsync(fabrikams.Reference with { Owner = Contoso }, wrapped.Ciphertext, wrapped.Algorithm));
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            Vault.UnwrapAsync(fabrikams.Reference with { Owner = VaultKeyOwner.Platform("westeurope") }, wrapped.Ciphertext, wrapped.Algorithm));
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            Vault.UnwrapAsync(fabrikams.Reference with { Thumbprint = new string('0', 64) }, wrapped.Ciphertext, wrapped.Algorithm));
        await Should.ThrowAsync<VaultKeyOwnershipException>(() =>
            Vault.WrapAsync(fabrikams.Reference with { Owner = Contoso }, new byte[32]));

        asContoso.KeyId.ShouldBe(fabrikams.KeyId);
        asContoso.Message.ShouldContain("another owner");
        using var theOwners = await NewInstance().UnwrapAsync(fabrikams.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        theOwners.PlaintextKey.Length.ShouldBe(32);
    }

    [Fact, Trait("Rule", "D4"), Trait("Rule", "L4")]
    public async Task Deleted_key_is_gone_from_the_store_and_nothing_unwraps_with_it_in_any_instance_D4_L4()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await Vault.ImportAsync(new VaultKeyName("to be locked"), Contoso, tenantKey);
        var wrapped = await Vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));
        var otherInstance = NewInstance();
        (await otherInstance.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm)).Dispose();
        (await KeyMaterialIsStoredAsync(info.KeyId)).ShouldBeTrue();

        (await Vault.DeleteAsync(info.KeyId)).ShouldBeTrue();

        (await KeyMaterialIsStoredAsync(info.KeyId)).ShouldBeFalse();
        (await Vault.DeleteAsync(info.KeyId)).ShouldBeFalse();
        (await Vault.ExistsAsync(info.KeyId)).ShouldBeFalse();
        (await Should.ThrowAsync<VaultKeyNotFoundException>(() => Vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm)))
            .KeyId.ShouldBe(info.KeyId);
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => otherInstance.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => Vault.WrapAsync(info.Reference, new byte[32]));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => Vault.GetThumbprintAsync(info.KeyId));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_store_lists_its_tenant_keys_with_owner_and_creation_time_and_no_region_keys_V1()
    {
        using var tenantKey = TestKeys.FixtureRsa2048();
        var contoso = await Vault.ImportAsync(new VaultKeyName("listed"), Contoso, tenantKey);
        var fabrikam = (await Vault.GenerateAsync(new VaultKeyName("listed too"), Fabrikam, "a password")).Info;
        var deleted = await Vault.ImportAsync(new VaultKeyName("deleted"), Contoso, tenantKey);
        await Vault.DeleteAsync(deleted.KeyId);
        var platformKey = await Vault.GetOrCreatePlatformKeyAsync("westeurope");
        var keyExchangeKey = await Vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);

        // Another instance (another process) lists the same: the listing is read from the store.
        var listed = await NewInstance().ListTenantKeysAsync().ToListAsync();

        listed.ShouldContain(new VaultTenantKey(contoso.KeyId, Contoso, contoso.CreatedAt));
        listed.ShouldContain(new VaultTenantKey(fabrikam.KeyId, Fabrikam, fabrikam.CreatedAt));
        listed.ShouldNotContain(key => key.KeyId == deleted.KeyId);
        listed.ShouldNotContain(key => key.KeyId == platformKey.KeyId || key.KeyId == keyExchangeKey.Kid);
        listed.ShouldAllBe(key => key.Owner.Purpose == KeyPurpose.Tenant);
        listed.Select(key => key.KeyId).ShouldBeUnique();
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Platform_and_key_exchange_keys_cannot_be_deleted_and_a_key_exchange_key_wraps_nothing_D4()
    {
        var platformKey = await Vault.GetOrCreatePlatformKeyAsync("canadacentral");
        var kek = await Vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);

        await Should.ThrowAsync<InvalidOperationException>(() => Vault.DeleteAsync(platformKey.KeyId));
        await Should.ThrowAsync<InvalidOperationException>(() => Vault.DeleteAsync(kek.Kid));
        await Should.ThrowAsync<InvalidOperationException>(() =>
            Vault.WrapAsync(new VaultKeyReference(kek.Kid, VaultKeyOwner.KeyExchange(ByokRegion), "any"), new byte[32]));
        (await Vault.ExistsAsync(platformKey.KeyId)).ShouldBeTrue();
        (await Vault.ExistsAsync(kek.Kid)).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Unwrapping_a_data_key_with_the_wrong_key_fails_as_crypto_not_as_not_found_D1()
    {
        using var first = TestKeys.Rsa2048();
        using var second = RSA.Create(2048);
        var one = await Vault.ImportAsync(new VaultKeyName("one"), Contoso, first);
        var two = await Vault.ImportAsync(new VaultKeyName("two"), Contoso, second);
        var wrapped = await Vault.WrapAsync(one.Reference, RandomNumberGenerator.GetBytes(32));

        await Should.ThrowAsync<CryptographicException>(() => Vault.UnwrapAsync(two.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        var tampered = wrapped.Ciphertext.ToArray();
        tampered[^1] ^= 1;
        await Should.ThrowAsync<CryptographicException>(() => Vault.UnwrapAsync(one.Reference, tampered, wrapped.Algorithm));
        await Should.ThrowAsync<ArgumentException>(() => Vault.UnwrapAsync(one.Reference, wrapped.Ciphertext, "A256KW"));
    }

    [Fact, Trait("Rule", "K2")]
    public async Task Vault_refuses_to_import_a_key_that_is_not_RSA_2048_and_stores_nothing_K2()
    {
        using var small = RSA.Create(1024);
        var before = await StoredKeyCountAsync();

        await Should.ThrowAsync<ArgumentException>(() => Vault.ImportAsync(new VaultKeyName("too small"), Contoso, small));

        (await StoredKeyCountAsync()).ShouldBe(before);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Concurrent_callers_on_two_instances_wrap_and_unwrap_their_own_data_keys_D1()
    {
        using var firstKey = TestKeys.Rsa2048();
        using var secondKey = RSA.Create(2048);
        var first = await Vault.ImportAsync(new VaultKeyName("busy one"), Contoso, firstKey);
        var second = await Vault.ImportAsync(new VaultKeyName("busy two"), Fabrikam, secondKey);
        var instances = new[] { Vault, NewInstance() };

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            var vault = instances[i % 2];
            var key = i % 4 < 2 ? first : second;
            var dataKey = RandomNumberGenerator.GetBytes(32);
            var wrapped = await vault.WrapAsync(key.Reference, dataKey);
            using var unwrapped = await instances[(i + 1) % 2].UnwrapAsync(key.Reference, wrapped.Ciphertext, wrapped.Algorithm);
            return unwrapped.PlaintextKey.AsSpan().SequenceEqual(dataKey);
        })));

        results.ShouldAllBe(same => same);
    }

    [Fact, Trait("Rule", "D3")]
    public async Task A_new_instance_after_a_restart_unwraps_what_the_old_one_wrapped_D3()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await Vault.ImportAsync(new VaultKeyName("survives restarts"), Contoso, tenantKey);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await Vault.WrapAsync(info.Reference, dataKey);

        var restarted = NewInstance();

        using var unwrapped = await restarted.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        unwrapped.PlaintextKey.ShouldBe(dataKey);
        (await restarted.GetThumbprintAsync(info.KeyId)).ShouldBe(info.Thumbprint);
    }
}
