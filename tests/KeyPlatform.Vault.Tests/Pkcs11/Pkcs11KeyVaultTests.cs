using System.Security.Cryptography;
using KeyPlatform.Vault.DependencyInjection;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Pkcs11;
using KeyPlatform.Vault.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using KeyPlatform.Vault.Tests.Support;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Tests.Pkcs11;

/// <summary>What only the PKCS#11 vault promises, on the SoftHSM2 token of scripts/infra.sh.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11KeyVaultTests(SoftHsmToken token) : IClassFixture<SoftHsmToken>
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    /// <summary>Two service processes that both created the region's first key-exchange key at once each showed theirs to
    /// an admin: a .byok made for either one must open (the file names its key-exchange key), not only for the one every
    /// process settles on afterwards.</summary>
    [Fact, Trait("Rule", "K2"), Trait("Rule", "V1")]
    public async Task A_byok_made_for_a_second_key_exchange_key_of_the_region_left_by_a_racing_process_imports_K2_V1()
    {
        const string region = "northeurope";
        var settled = await token.Vault.GetOrCreateKeyExchangeKeyAsync(region);
        var raced = token.Vault.GenerateRegionKey(VaultKeyOwner.KeyExchange(region), LocalKeyVault.KeyExchangeKeySizeBits);
        try
        {
            raced.KeyId.ShouldNotBe(settled.Kid);
            (await token.Vault.GetOrCreateKeyExchangeKeyAsync(region)).Kid.ShouldBe(settled.Kid, "every process settles on one key");
            using var racedPublic = raced.PublicRsa();
            using var tenantKey = TestKeys.Rsa2048();
            var byok = ByokFile.Create(tenantKey.ExportPkcs8PrivateKey(), racedPublic, raced.KeyId);

            var proved = await PossessionProof.ProveByokAsync(token.Vault, byok, region, PossessionProof.ImportPurpose, CancellationToken.None);
            proved.IsRefused.ShouldBeFalse(proved.Refusal?.Reason);
            var imported = await token.Vault.ImportByokAsync(new VaultKeyName("made for the raced kek"), VaultKeyOwner.Tenant("contoso", region),
                byok, proved.Value);

            imported.IsRefused.ShouldBeFalse(imported.Refusal?.Reason);
            imported.Value.Thumbprint.ShouldBe(KeyThumbprint.Of(tenantKey));
            await token.Vault.DeleteAsync(imported.Value.KeyId);
        }
        finally
        {
            token.Vault.Token.Run(session =>
            {
                var factory = token.Vault.Token.Factories.ObjectAttributeFactory;
                foreach (var handle in session.FindAllObjects([factory.Create(CKA.CKA_LABEL, raced.KeyId)])) session.DestroyObject(handle);
                return 0;
            });
        }
    }

    /// <summary>L4 destroys the tenant key's objects only: another object on the token that happens to carry the same label
    /// (an AES key here) is neither destroyed nor a reason to refuse the delete.</summary>
    [Fact, Trait("Rule", "L4"), Trait("Rule", "V1")]
    public async Task A_delete_destroys_the_tenant_key_and_leaves_another_object_with_its_label_L4_V1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var imported = await token.Vault.ImportAsync(new VaultKeyName("shares its label"), Contoso, tenantKey);
        var factory = token.Vault.Token.Factories.ObjectAttributeFactory;
        token.Vault.Token.Run(session => session.GenerateKey(token.Vault.Token.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
        [
            factory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            factory.Create(CKA.CKA_VALUE_LEN, 32UL), factory.Create(CKA.CKA_TOKEN, true), factory.Create(CKA.CKA_LABEL, imported.KeyId),
        ]));
        try
        {
            (await token.Vault.DeleteAsync(imported.KeyId)).ShouldBeTrue();

            (await token.Vault.ExistsAsync(imported.KeyId)).ShouldBeFalse();
            token.Vault.Token.Run(session => session.FindAllObjects([factory.Create(CKA.CKA_LABEL, imported.KeyId)])
                .Select(handle => session.GetAttributeValue(handle, [CKA.CKA_CLASS])[0].GetValueAsUlong()).ToList())
                .ShouldBe([(ulong)CKO.CKO_SECRET_KEY]);
        }
        finally
        {
            token.Vault.Token.Run(session =>
            {
                foreach (var handle in session.FindAllObjects([factory.Create(CKA.CKA_LABEL, imported.KeyId)])) session.DestroyObject(handle);
                return 0;
            });
        }
    }

    [Fact, Trait("Rule", "V1")]
    public async Task An_imported_private_key_is_a_sensitive_non_extractable_token_object_V1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await token.Vault.ImportAsync(new VaultKeyName("in the HSM"), Contoso, tenantKey);

        var (flags, privateExponent) = token.Vault.Token.Run(session =>
        {
            var factory = token.Vault.Token.Factories.ObjectAttributeFactory;
            var handle = session.FindAllObjects([factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_LABEL, info.KeyId)]).Single();
            var values = session.GetAttributeValue(handle,
                [CKA.CKA_TOKEN, CKA.CKA_PRIVATE, CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_MODIFIABLE]);
            var secret = session.GetAttributeValue(handle, [CKA.CKA_PRIVATE_EXPONENT])[0];
            return (values.Select(value => value.GetValueAsBool()).ToArray(), secret.CannotBeRead);
        });

        flags[0].ShouldBeTrue("CKA_TOKEN");
        flags[1].ShouldBeTrue("CKA_PRIVATE");
        flags[2].ShouldBeTrue("CKA_SENSITIVE");
        flags[3].ShouldBeFalse("CKA_EXTRACTABLE");
        flags[5].ShouldBeFalse("CKA_MODIFIABLE");
        privateExponent.ShouldBeTrue("the private exponent cannot be read from the token");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task Region_keys_are_generated_on_the_token_and_never_extractable_V1()
    {
        var platform = await token.Vault.GetOrCreatePlatformKeyAsync("uksouth");

        var neverExtractable = token.Vault.Token.Run(session =>
        {
            var factory = token.Vault.Token.Factories.ObjectAttributeFactory;
            var handle = session.FindAllObjects([factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_LABEL, platform.KeyId)]).Single();
            return session.GetAttributeValue(handle, [CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_LOCAL])
                .Select(value => value.GetValueAsBool()).ToArray();
        });

        neverExtractable.ShouldBe([true, true]);
        token.ObjectsLabelled(platform.KeyId).ShouldBe(1, "one object per key: the generated public key object is not kept");
    }

    /// <summary>
    /// The vault keeps each key object's handle after its first use instead of searching the token on every call (decision
    /// 0018). A key destroyed by another process (another service instance's L4) must still stop wrapping and unwrapping
    /// here at once: the kept handle fails on the token and the key is reported not found.
    /// </summary>
    [Fact, Trait("Rule", "D4"), Trait("Rule", "L4")]
    public async Task A_key_destroyed_by_another_process_no_longer_wraps_or_unwraps_in_this_one_D4_L4()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var vault = new ResilientKeyVault(token.Vault);
        var info = await vault.ImportAsync(new VaultKeyName("destroyed elsewhere"), Contoso, tenantKey);
        var wrapped = await vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));
        (await vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm)).Dispose();   // handle kept from here on

        var peer = await PeerProcess.RunAsync(["delete", info.KeyId]);

        peer.ShouldBe((0, "deleted"));
        token.ObjectsLabelled(info.KeyId).ShouldBe(0);
        (await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.WrapAsync(info.Reference, new byte[32]))).KeyId.ShouldBe(info.KeyId);
        (await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm)))
            .KeyId.ShouldBe(info.KeyId);
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.GetThumbprintAsync(info.KeyId));
        (await vault.ExistsAsync(info.KeyId)).ShouldBeFalse();
    }

    /// <summary>The same when the other process destroys the key between a wrap and the first unwrap here: a wrap keeps
    /// the handle too, and the unwrap's C_Decrypt on it is refused.</summary>
    [Fact, Trait("Rule", "D4"), Trait("Rule", "L4")]
    public async Task A_key_destroyed_by_another_process_after_a_wrap_here_does_not_unwrap_D4_L4()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var info = await token.Vault.ImportAsync(new VaultKeyName("wrapped, then destroyed elsewhere"), Contoso, tenantKey);
        var wrapped = await token.Vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));

        (await PeerProcess.RunAsync(["delete", info.KeyId])).ShouldBe((0, "deleted"));

        await Should.ThrowAsync<VaultKeyNotFoundException>(() => token.Vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        await Should.ThrowAsync<VaultKeyNotFoundException>(() => token.Vault.WrapAsync(info.Reference, new byte[32]));
    }

    /// <summary>A key another process imported is found here on first use, and a kept handle of this process is not
    /// confused with it.</summary>
    [Fact, Trait("Rule", "D1")]
    public async Task A_key_imported_by_another_process_wraps_and_unwraps_here_D1()
    {
        var peer = await PeerProcess.RunAsync(["import", "contoso", "westeurope"]);
        peer.ExitCode.ShouldBe(0, peer.Output);
        var keyId = peer.Output.Split(' ')[1];
        var reference = new VaultKeyReference(keyId, Contoso, await token.Vault.GetThumbprintAsync(keyId));
        var dataKey = RandomNumberGenerator.GetBytes(32);

        var wrapped = await token.Vault.WrapAsync(reference, dataKey);
        using var unwrapped = await token.Vault.UnwrapAsync(reference, wrapped.Ciphertext, wrapped.Algorithm);

        unwrapped.PlaintextKey.ShouldBe(dataKey);
        (await token.Vault.DeleteAsync(keyId)).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_vault_keeps_working_after_the_library_was_finalised_under_it_V1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var vault = token.NewVault();
        var info = await vault.ImportAsync(new VaultKeyName("survives a reload"), Contoso, tenantKey);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await vault.WrapAsync(info.Reference, dataKey);
        var connectionsBefore = vault.Token.Connections;

        // What a token or library restart does to a running process: every session, the login and every handle are gone.
        FinaliseLibrary();

        using var unwrapped = await vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        unwrapped.PlaintextKey.ShouldBe(dataKey);
        vault.Token.Connections.ShouldBe(connectionsBefore + 1);
        FinaliseLibrary();
        var rewrapped = await vault.WrapAsync(info.Reference, dataKey);   // a wrap, too, finds the key again after a reload
        using var again = await vault.UnwrapAsync(info.Reference, rewrapped.Ciphertext, rewrapped.Algorithm);
        again.PlaintextKey.ShouldBe(dataKey);
        vault.Token.Connections.ShouldBe(connectionsBefore + 2);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_vault_with_no_session_open_yet_reconnects_when_the_library_was_finalised_V1()
    {
        var platform = await token.Vault.GetOrCreatePlatformKeyAsync("westeurope");
        var vault = token.NewVault();
        vault.Connect();   // logged in; no session in the pool yet, so the next call must open one
        FinaliseLibrary();

        (await vault.ExistsAsync(platform.KeyId)).ShouldBeTrue();
        vault.Token.Connections.ShouldBe(2);
    }

    [Fact, Trait("Rule", "V1")]
    public void A_wrong_PIN_fails_with_a_reason_that_does_not_show_the_PIN_V1()
    {
        const string wrongPin = "987654321";
        var options = SoftHsmToken.OptionsFromEnvironment();
        options.Pin = wrongPin;
        using var vault = new Pkcs11KeyVault(options);
        // PKCS#11 login belongs to the process: end the one the other vaults hold (they reconnect), so this one must log in.
        FinaliseLibrary();

        var failure = Should.Throw<InvalidOperationException>(vault.Connect);

        failure.Message.ShouldContain("refused the configured PIN");
        failure.ToString().ShouldNotContain(wrongPin);
    }

    [Fact, Trait("Rule", "V1")]
    public void A_missing_library_or_token_fails_with_the_setting_to_fix_V1()
    {
        var noLibrary = SoftHsmToken.OptionsFromEnvironment();
        noLibrary.Library = "/nonexistent/libpkcs11.so";
        var noToken = SoftHsmToken.OptionsFromEnvironment();
        noToken.TokenLabel = "no-such-token";
        using var withoutLibrary = new Pkcs11KeyVault(noLibrary);
        using var withoutToken = new Pkcs11KeyVault(noToken);

        Should.Throw<InvalidOperationException>(withoutLibrary.Connect).Message.ShouldContain("Vault:Pkcs11:Library");
        Should.Throw<VaultUnavailableException>(withoutToken.Connect).Message.ShouldContain("no token labelled 'no-such-token'");
    }

    [Fact, Trait("Rule", "V1")]
    public void The_PIN_comes_from_a_file_and_never_shows_in_the_options_V1()
    {
        using var directory = new TemporaryDirectory();
        var options = SoftHsmToken.OptionsFromEnvironment();
        var pin = options.Pin!;
        options.PinFile = directory.Write("pin", pin + "\n");
        options.Pin = null;
        using var vault = new Pkcs11KeyVault(options);

        Should.NotThrow(vault.Connect);
        options.ToString().ShouldNotContain(pin);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task Vault_Provider_Pkcs11_runs_the_host_on_the_token_behind_the_resilient_decorator_V1()
    {
        using var host = BuildHost(token.Options.Pin!);

        await host.StartAsync();

        host.Services.GetRequiredService<IKeyVault>().ShouldBeOfType<ResilientKeyVault>();
        var vault = host.Services.GetRequiredService<Pkcs11KeyVault>();
        vault.PreferredWrappingAlgorithm.ShouldBe(WrappingAlgorithm.RsaOaep);
        (await host.Services.GetRequiredService<IKeyVault>().GetOrCreatePlatformKeyAsync("westeurope")).Owner
            .ShouldBe(VaultKeyOwner.Platform("westeurope"));
        await host.StopAsync();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_host_on_the_token_with_a_wrong_PIN_does_not_start_V1()
    {
        using var host = BuildHost("000000");
        FinaliseLibrary();

        var failure = await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync());

        failure.Message.ShouldContain("refused the configured PIN");
        failure.ToString().ShouldNotContain("000000");
    }

    private IHost BuildHost(string pin)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vault:Provider"] = "Pkcs11",
            ["Vault:Pkcs11:Library"] = token.Options.Library,
            ["Vault:Pkcs11:TokenLabel"] = token.Options.TokenLabel,
            ["Vault:Pkcs11:Pin"] = pin,
        });
        builder.Services.AddKeyVault(builder.Configuration, vault => vault.Regions = SoftHsmToken.Regions);
        return builder.Build();
    }

    /// <summary>C_Initialize then C_Finalize through a library handle of its own: for this process, the token went away.</summary>
    private void FinaliseLibrary()
    {
        var factories = new Pkcs11InteropFactories();
        factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, token.Options.Library, AppType.MultiThreaded).Dispose();
    }
}
