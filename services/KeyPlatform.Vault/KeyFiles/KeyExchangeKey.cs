using System.Security.Cryptography;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>A region's key-exchange key with its private part: only the vault (and tests) hold one.</summary>
public sealed class KeyExchangeKey(string kid, RSA privateKey) : IDisposable
{
    public string Kid { get; } = kid;

    public RSA PrivateKey { get; } = privateKey;

    public void Dispose() => PrivateKey.Dispose();

    public override string ToString() => $"KeyExchangeKey {{ Kid = {Kid}, RSA {PrivateKey.KeySize} bits }}";
}
