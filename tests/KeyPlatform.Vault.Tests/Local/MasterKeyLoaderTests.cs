using System.Security.Cryptography;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.Local;

/// <summary>The master key protects every private key in the vault (D1); without it, nothing can be unwrapped.</summary>
public sealed class MasterKeyLoaderTests
{
    [Fact, Trait("Rule", "D1")]
    public void Outside_Development_and_Testing_without_a_master_key_the_vault_refuses_to_start_D1()
    {
        var failure = Should.Throw<InvalidOperationException>(() => MasterKeyLoader.Load(new LocalVaultOptions(), developmentKeyAllowed: false));

        failure.Message.ShouldContain("Vault:MasterKey");
        failure.Message.ShouldContain("Outside Development and Testing");
    }

    [Fact, Trait("Rule", "D1")]
    public void Production_with_a_master_key_file_that_does_not_exist_refuses_to_start_and_creates_nothing_D1()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.PathOf("missing.key");

        Should.Throw<InvalidOperationException>(() =>
            MasterKeyLoader.Load(new LocalVaultOptions { MasterKeyFile = path }, developmentKeyAllowed: false));

        File.Exists(path).ShouldBeFalse();
    }

    [Fact, Trait("Rule", "D1")]
    public void Configured_master_key_is_used_in_Production_D1()
    {
        var configured = RandomNumberGenerator.GetBytes(32);
        using var fromConfig = MasterKeyLoader.Load(
            new LocalVaultOptions { MasterKey = Convert.ToBase64String(configured) }, developmentKeyAllowed: false);
        using var reference = MasterKey.FromBytes(configured);

        reference.Open(fromConfig.Seal("secret"u8, "row"), "row").ShouldBe("secret"u8.ToArray());
    }

    [Fact, Trait("Rule", "D1")]
    public void Master_key_of_the_wrong_length_is_refused_without_showing_it_D1()
    {
        var tooShort = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

        var failure = Should.Throw<InvalidOperationException>(() =>
            MasterKeyLoader.Load(new LocalVaultOptions { MasterKey = tooShort }, developmentKeyAllowed: true));

        failure.Message.ShouldContain("32 bytes");
        failure.Message.ShouldNotContain(tooShort);
    }

    [Fact, Trait("Rule", "D1")]
    public void Development_without_a_master_key_creates_an_owner_only_key_file_and_reuses_it_D1()
    {
        using var directory = new TemporaryDirectory();
        var path = Path.Combine(directory.Path, "vault", "master.key");
        var options = new LocalVaultOptions { MasterKeyFile = path };

        using var first = MasterKeyLoader.Load(options, developmentKeyAllowed: true);
        using var second = MasterKeyLoader.Load(options, developmentKeyAllowed: true);

        File.Exists(path).ShouldBeTrue();
        Convert.FromBase64String(File.ReadAllText(path)).Length.ShouldBe(32);
        second.Open(first.Seal("data key"u8, "key-1"), "key-1").ShouldBe("data key"u8.ToArray());
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(Path.GetDirectoryName(path)!)
                .ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.GetFiles(Path.GetDirectoryName(path)!).ShouldBe([path]);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Development_key_file_created_by_racing_processes_is_one_key_D1()
    {
        using var directory = new TemporaryDirectory();
        var options = new LocalVaultOptions { MasterKeyFile = Path.Combine(directory.Path, "master.key") };

        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => MasterKeyLoader.Load(options, developmentKeyAllowed: true))));

        var sealedByFirst = keys[0].Seal("x"u8, "ad");
        foreach (var key in keys)
        {
            key.Open(sealedByFirst, "ad").ShouldBe("x"u8.ToArray());
            key.Dispose();
        }
    }

    [Fact, Trait("Rule", "D1")]
    public void Sealed_key_opens_only_for_the_row_it_was_sealed_for_D1()
    {
        using var key = MasterKey.CreateRandom();
        var sealedBlob = key.Seal("pkcs8 bytes"u8, "key-a");

        Should.Throw<CryptographicException>(() => key.Open(sealedBlob, "key-b"));
        sealedBlob[^1] ^= 1;
        Should.Throw<CryptographicException>(() => key.Open(sealedBlob, "key-a"));
        key.ToString().ShouldNotContain(key.ToBase64());
    }
}
