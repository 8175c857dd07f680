using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Pkcs11;

namespace KeyPlatform.Vault.Tests.Support;

/// <summary>
/// A master key file wrapped on the SoftHSM token of scripts/infra.sh (<c>Vault:MasterKeyWrapping=Pkcs11</c>), under a
/// wrapping key of this fixture's own (a fresh label), destroyed when the class is done. Loading it goes through the token
/// every time, as a service starting does.
/// </summary>
public sealed class EnvelopedMasterKey : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public EnvelopedMasterKey()
    {
        WrappingKeyLabel = NewWrappingKeyLabel();
        FilePath = _directory.PathOf("master.key.wrapped");
        using var masterKey = MasterKey.CreateRandom();
        using var envelope = NewEnvelope();
        File.WriteAllText(FilePath, envelope.Wrap(masterKey, WrappingKeyLabel).ToJson());
    }

    public string WrappingKeyLabel { get; }

    /// <summary>The wrapped master key file (<c>Vault:MasterKeyFile</c>).</summary>
    public string FilePath { get; }

    public static string NewWrappingKeyLabel() => $"kp-test-master-wrap-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The local store's settings that load this file, as <c>Vault:*</c> configuration gives them.</summary>
    public LocalVaultOptions Options(Action<Pkcs11VaultOptions>? token = null)
    {
        var pkcs11 = SoftHsmToken.OptionsFromEnvironment();
        token?.Invoke(pkcs11);
        return new LocalVaultOptions { MasterKeyWrapping = MasterKeyWrapping.Pkcs11, MasterKeyFile = FilePath, Pkcs11 = pkcs11 };
    }

    /// <summary>The master key, unwrapped on the token by the loader (as in Production: no development key).</summary>
    public MasterKey Load() => MasterKeyLoader.Load(Options(), developmentKeyAllowed: false);

    public static Pkcs11MasterKeyEnvelope NewEnvelope(Action<Pkcs11VaultOptions>? change = null)
    {
        var options = SoftHsmToken.OptionsFromEnvironment();
        change?.Invoke(options);
        return new Pkcs11MasterKeyEnvelope(options);
    }

    public void Dispose()
    {
        using (var envelope = NewEnvelope())
        {
            envelope.DestroyWrappingKey(WrappingKeyLabel);
        }

        _directory.Dispose();
    }
}
