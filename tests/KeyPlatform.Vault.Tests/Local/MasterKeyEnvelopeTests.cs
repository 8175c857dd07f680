using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Pkcs11;
using KeyPlatform.Vault.Tests.Support;
using KeyPlatform.Vault.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Tests.Local;

/// <summary>
/// The local store's master key wrapped on the SoftHSM token (<c>Vault:MasterKeyWrapping=Pkcs11</c>): the file never holds
/// the master key, a database backup plus the file is useless once the wrapping key is destroyed (V2), and every way the
/// unwrap can fail at start-up names the setting to fix, never the PIN or a key.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class MasterKeyEnvelopeTests(VaultDatabase database) : IClassFixture<VaultDatabase>, IDisposable
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");
    private readonly TemporaryDirectory _directory = new();
    private readonly List<string> _wrappingKeys = [];

    /// <summary>A master key wrapped under a fresh wrapping key of this test (destroyed after it), written to a file.</summary>
    private (string Path, string Label, byte[] Plain) WrappedFile(string? label = null)
    {
        label ??= EnvelopedMasterKey.NewWrappingKeyLabel();
        _wrappingKeys.Add(label);
        var plain = RandomNumberGenerator.GetBytes(MasterKey.SizeInBytes);
        using var masterKey = MasterKey.FromBytes(plain);
        using var envelope = EnvelopedMasterKey.NewEnvelope();
        var path = _directory.PathOf($"{Guid.NewGuid():N}.wrapped");
        File.WriteAllText(path, envelope.Wrap(masterKey, label).ToJson());
        return (path, label, plain);
    }

    private static LocalVaultOptions Enveloped(string path, Action<Pkcs11VaultOptions>? token = null)
    {
        var pkcs11 = SoftHsmToken.OptionsFromEnvironment();
        token?.Invoke(pkcs11);
        return new LocalVaultOptions { MasterKeyWrapping = MasterKeyWrapping.Pkcs11, MasterKeyFile = path, Pkcs11 = pkcs11 };
    }

    private static InvalidOperationException FailsToLoad(LocalVaultOptions options) =>
        Should.Throw<InvalidOperationException>(() => MasterKeyLoader.Load(options, developmentKeyAllowed: false));

    private static void ShowsNoSecret(Exception failure, byte[] plain)
    {
        var text = failure.ToString();
        text.ShouldNotContain(Convert.ToBase64String(plain));
        text.ShouldNotContain(Convert.ToHexString(plain), Case.Insensitive);
    }

    private static bool Destroy(string label)
    {
        using var envelope = EnvelopedMasterKey.NewEnvelope();
        return envelope.DestroyWrappingKey(label);
    }

    [Fact, Trait("Rule", "V2")]
    public void The_file_holds_the_master_key_only_wrapped_and_the_token_unwraps_it_to_the_same_key_V2()
    {
        var (path, label, plain) = WrappedFile();

        using var loaded = MasterKeyLoader.Load(Enveloped(path), developmentKeyAllowed: false);

        using var expected = MasterKey.FromBytes(plain);
        loaded.SameKeyAs(expected).ShouldBeTrue();
        var text = File.ReadAllText(path);
        text.ShouldNotContain(Convert.ToBase64String(plain));
        text.ShouldNotContain(Convert.ToHexString(plain), Case.Insensitive);
        var header = JsonNode.Parse(text)!;
        ((string?)header["format"]).ShouldBe(WrappedMasterKey.FormatV1);
        ((string?)header["keyLabel"]).ShouldBe(label);
        ((string?)header["mechanism"]).ShouldBe("CKM_AES_GCM");
        ((string?)header["token"]).ShouldBe(SoftHsmToken.OptionsFromEnvironment().TokenLabel);
    }

    [Fact, Trait("Rule", "V2")]
    public void The_wrapping_key_is_sensitive_never_extractable_and_generated_on_the_token_V2()
    {
        var (_, label, _) = WrappedFile();
        using var vault = new Pkcs11KeyVault(SoftHsmToken.OptionsFromEnvironment());

        var attributes = vault.Token.Run(session =>
        {
            var factory = vault.Token.Factories.ObjectAttributeFactory;
            var handle = session.FindAllObjects([factory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), factory.Create(CKA.CKA_LABEL, label)]).Single();
            return session.GetAttributeValue(handle, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_NEVER_EXTRACTABLE, CKA.CKA_LOCAL,
                CKA.CKA_TOKEN, CKA.CKA_WRAP, CKA.CKA_UNWRAP]).Select(attribute => attribute.GetValueAsBool()).ToArray();
        });

        attributes.ShouldBe([true, false, true, true, true, false, false]);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task A_tenant_key_delete_named_by_the_wrapping_key_label_destroys_nothing_D4()
    {
        var (path, label, plain) = WrappedFile();
        using var vault = new Pkcs11KeyVault(SoftHsmToken.OptionsFromEnvironment());

        await Should.ThrowAsync<InvalidOperationException>(() => vault.DeleteAsync(label));

        using var loaded = MasterKeyLoader.Load(Enveloped(path), developmentKeyAllowed: false);
        using var expected = MasterKey.FromBytes(plain);
        loaded.SameKeyAs(expected).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "V2")]
    public async Task A_backup_of_the_vault_table_and_the_master_key_file_opens_nothing_once_the_wrapping_key_is_destroyed_V2()
    {
        var (path, label, plain) = WrappedFile();
        var dataKey = RandomNumberGenerator.GetBytes(32);
        WrappedKey wrapped;
        VaultKeyInfo info;
        await using (var vault = database.NewVault(MasterKeyLoader.Load(Enveloped(path), developmentKeyAllowed: false)))
        {
            using var tenantKey = TestKeys.FixtureRsa2048();
            info = await vault.ImportAsync(new VaultKeyName("before the backup"), Contoso, tenantKey);
            wrapped = await vault.WrapAsync(info.Reference, dataKey);
        }

        // The backup: the vault's table copied whole into a schema of its own, with the master key file beside it.
        var backup = database.NewSchemaName();
        await database.ExecuteAsync($"CREATE SCHEMA \"{backup}\"; CREATE TABLE \"{backup}\".keys AS TABLE \"{database.Schema}\".keys");
        var backupFile = _directory.Write("backup-of-master.key.wrapped", File.ReadAllBytes(path));
        await using (var restored = database.NewVault(MasterKeyLoader.Load(Enveloped(backupFile), developmentKeyAllowed: false), backup))
        {
            using var beforeDestruction = await restored.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
            beforeDestruction.PlaintextKey.ShouldBe(dataKey);   // the backup is a real one: while the wrapping key lives, it opens
        }

        Destroy(label).ShouldBeTrue();

        var failure = FailsToLoad(Enveloped(backupFile));
        failure.Message.ShouldContain($"has no key labelled '{label}'");
        failure.Message.ShouldContain("Vault:MasterKeyFile");
        ShowsNoSecret(failure, plain);
        FailsToLoad(Enveloped(path)).Message.ShouldContain("destroyed");
    }

    [Fact, Trait("Rule", "V1")]
    public void A_wrong_PIN_stops_the_start_naming_the_PIN_settings_never_the_PIN_V1()
    {
        const string wrongPin = "24680-not-it";
        var (path, _, plain) = WrappedFile();
        // PKCS#11 login belongs to the process: end the one other tests hold, so this load must log in itself.
        var factories = new Pkcs11InteropFactories();
        factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, SoftHsmToken.OptionsFromEnvironment().Library, AppType.MultiThreaded).Dispose();

        var failure = FailsToLoad(Enveloped(path, token => token.Pin = wrongPin));

        failure.Message.ShouldContain("refused the configured PIN");
        failure.Message.ShouldContain("Vault:Pkcs11:Pin or Vault:Pkcs11:PinFile");
        failure.ToString().ShouldNotContain(wrongPin);
        ShowsNoSecret(failure, plain);
    }

    [Fact, Trait("Rule", "V1")]
    public void A_file_wrapped_on_another_token_stops_the_start_naming_the_token_setting_V1()
    {
        var (path, _, plain) = WrappedFile();
        var header = JsonNode.Parse(File.ReadAllText(path))!;
        header["token"] = "another-token";
        File.WriteAllText(path, header.ToJsonString());

        var failure = FailsToLoad(Enveloped(path));

        failure.Message.ShouldContain("wrapped on the PKCS#11 token 'another-token'");
        failure.Message.ShouldContain("Vault:Pkcs11:TokenLabel");
        ShowsNoSecret(failure, plain);
    }

    [Fact, Trait("Rule", "V1")]
    public void A_file_wrapped_by_another_key_of_the_same_label_stops_the_start_and_says_so_V1()
    {
        var (path, label, plain) = WrappedFile();
        Destroy(label).ShouldBeTrue();
        WrappedFile(label);   // the label again, on a new key (another installation's, or the key created again)

        var failure = FailsToLoad(Enveloped(path));

        failure.Message.ShouldContain("is not the one that wrapped");
        failure.Message.ShouldContain("Vault:MasterKeyFile");
        ShowsNoSecret(failure, plain);
    }

    [Theory, Trait("Rule", "V1")]
    [InlineData("ciphertext")]
    [InlineData("iv")]
    [InlineData("keyLabel-of-another-key")]
    public void A_tampered_file_stops_the_start_and_opens_nothing_V1(string tampered)
    {
        var (path, _, plain) = WrappedFile();
        var (other, otherLabel, _) = WrappedFile();
        var header = JsonNode.Parse(File.ReadAllText(path))!;
        switch (tampered)
        {
            case "ciphertext" or "iv":
                var bytes = Convert.FromBase64String((string)header[tampered]!);
                bytes[3] ^= 0x01;
                header[tampered] = Convert.ToBase64String(bytes);
                break;
            default:
                // Point the header at another wrapping key (label and CKA_ID): the header is GCM's associated data.
                var otherHeader = JsonNode.Parse(File.ReadAllText(other))!;
                header["keyLabel"] = otherLabel;
                header["keyId"] = (string)otherHeader["keyId"]!;
                break;
        }

        File.WriteAllText(path, header.ToJsonString());

        var failure = FailsToLoad(Enveloped(path));

        failure.Message.ShouldContain("the file was altered");
        failure.Message.ShouldContain("Vault:MasterKeyFile");
        ShowsNoSecret(failure, plain);
    }

    [Theory, Trait("Rule", "V1")]
    [InlineData("{ \"format\": \"keyplatform-wrapped-master-key/1\"", "is not a wrapped master key")]
    [InlineData("{\"format\":\"keyplatform-wrapped-master-key/9\",\"token\":\"t\",\"keyLabel\":\"k\",\"keyId\":\"00\",\"mechanism\":\"CKM_AES_GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"ciphertext\":\"AA==\"}", "this version reads")]
    [InlineData("{\"format\":\"keyplatform-wrapped-master-key/1\",\"token\":\"t\",\"keyLabel\":\"k\",\"keyId\":\"00\",\"mechanism\":\"CKM_AES_KEY_WRAP_PAD\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"ciphertext\":\"AA==\"}", "only CKM_AES_GCM")]
    [InlineData("{\"format\":\"keyplatform-wrapped-master-key/1\",\"token\":\"t\",\"keyLabel\":\"k\",\"keyId\":\"00\",\"mechanism\":\"CKM_AES_GCM\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"ciphertext\":\"AA==\"}", "altered")]
    public void A_file_that_is_not_a_whole_wrapped_master_key_stops_the_start_naming_the_file_V1(string content, string reason)
    {
        var path = _directory.Write($"{Guid.NewGuid():N}.wrapped", content);

        var failure = FailsToLoad(Enveloped(path));

        failure.Message.ShouldContain(reason);
        failure.Message.ShouldContain("Vault:MasterKeyFile");
    }

    [Fact, Trait("Rule", "V1")]
    public void A_plain_master_key_under_the_envelope_and_a_wrapped_one_without_it_are_refused_naming_the_setting_V1()
    {
        var plainKey = MasterKeyLoader.NewMasterKeyBase64();
        var plainFile = _directory.Write("plain.key", plainKey);
        var (wrappedFile, _, _) = WrappedFile();

        var plainUnderEnvelope = FailsToLoad(Enveloped(plainFile));
        var configuredUnderEnvelope = FailsToLoad(new LocalVaultOptions
            { MasterKeyWrapping = MasterKeyWrapping.Pkcs11, MasterKey = plainKey, MasterKeyFile = wrappedFile, Pkcs11 = SoftHsmToken.OptionsFromEnvironment() });
        var wrappedWithoutEnvelope = FailsToLoad(new LocalVaultOptions { MasterKeyFile = wrappedFile });

        plainUnderEnvelope.Message.ShouldContain("keyplatform master-key wrap");
        plainUnderEnvelope.Message.ShouldNotContain(plainKey);
        configuredUnderEnvelope.Message.ShouldContain("remove Vault:MasterKey");
        configuredUnderEnvelope.Message.ShouldNotContain(plainKey);
        wrappedWithoutEnvelope.Message.ShouldContain("Vault:MasterKeyWrapping=Pkcs11");
    }

    [Fact, Trait("Rule", "V1")]
    public void Production_under_the_envelope_without_a_file_creates_nothing_and_says_how_to_make_one_V1()
    {
        var path = _directory.PathOf("missing.wrapped");

        var failure = FailsToLoad(Enveloped(path));

        failure.Message.ShouldContain("keyplatform master-key create");
        File.Exists(path).ShouldBeFalse();
    }

    [Fact, Trait("Rule", "V1")]
    public void In_Development_a_missing_file_is_created_wrapped_on_the_token_and_loads_again_to_the_same_key_V1()
    {
        var label = EnvelopedMasterKey.NewWrappingKeyLabel();
        _wrappingKeys.Add(label);
        var options = Enveloped(_directory.PathOf("dev/master.key.wrapped"));
        options.MasterKeyWrappingKey = label;

        using var created = MasterKeyLoader.Load(options, developmentKeyAllowed: true);
        using var again = MasterKeyLoader.Load(options, developmentKeyAllowed: false);

        again.SameKeyAs(created).ShouldBeTrue();
        var text = File.ReadAllText(options.MasterKeyFile!);
        WrappedMasterKey.IsWrapped(text).ShouldBeTrue();
        ((string?)JsonNode.Parse(text)!["keyLabel"]).ShouldBe(label);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(options.MasterKeyFile!).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private IHost Host(string masterKeyFile)
    {
        var token = SoftHsmToken.OptionsFromEnvironment();
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(
            new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = VaultDatabase.ConnectionString, ["Vault:Schema"] = database.Schema,
            ["Vault:MasterKeyWrapping"] = "Pkcs11", ["Vault:MasterKeyFile"] = masterKeyFile,
            ["Vault:Pkcs11:Library"] = token.Library, ["Vault:Pkcs11:TokenLabel"] = token.TokenLabel, ["Vault:Pkcs11:Pin"] = token.Pin,
        });
        builder.Services.AddKeyVault(builder.Configuration, vault => vault.Regions = VaultDatabase.Regions);
        return builder.Build();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_Production_host_runs_the_local_store_on_the_enveloped_master_key_V1()
    {
        var (path, _, _) = WrappedFile();
        using var host = Host(path);

        await host.StartAsync();

        var vault = host.Services.GetRequiredService<IKeyVault>();
        using var tenantKey = TestKeys.FixtureRsa2048();
        var info = await vault.ImportAsync(new VaultKeyName("hosted"), Contoso, tenantKey);
        (await vault.GetThumbprintAsync(info.KeyId)).ShouldBe(info.Thumbprint);
        await host.StopAsync();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_Production_host_whose_wrapping_key_is_gone_does_not_start_and_names_the_setting_V1()
    {
        var (path, label, plain) = WrappedFile();
        Destroy(label);
        using var host = Host(path);

        var failure = await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync());

        failure.Message.ShouldContain($"has no key labelled '{label}'");
        failure.Message.ShouldContain("Vault:MasterKeyFile");
        ShowsNoSecret(failure, plain);
    }

    public void Dispose()
    {
        foreach (var label in _wrappingKeys)
        {
            Destroy(label);
        }

        _directory.Dispose();
    }
}
