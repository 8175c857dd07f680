using System.Security.Cryptography;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>An RSA 2048-bit private key read from an accepted key file, with its thumbprint. Dispose it when done.</summary>
public sealed class LoadedKey(RSA privateKey) : IDisposable
{
    public RSA PrivateKey { get; } = privateKey;

    /// <summary>See <see cref="KeyThumbprint"/>.</summary>
    public string Thumbprint { get; } = KeyThumbprint.Of(privateKey);

    public void Dispose() => PrivateKey.Dispose();

    public override string ToString() => $"LoadedKey {{ RSA {PrivateKey.KeySize} bits, Thumbprint = {Thumbprint} }}";
}
