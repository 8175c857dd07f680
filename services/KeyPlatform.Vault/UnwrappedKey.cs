using System.Security.Cryptography;

namespace KeyPlatform.Vault;

/// <summary>
/// A plaintext data key released by the vault, with the vault key and version that unwrapped it (D2 audit).
/// Dispose it as soon as it is no longer needed: the bytes are zeroed.
/// </summary>
public sealed class UnwrappedKey(string keyId, string version, byte[] plaintextKey) : IDisposable
{
    public string KeyId { get; } = keyId;

    public string Version { get; } = version;

    /// <summary>The plaintext data key. Never log it.</summary>
    public byte[] PlaintextKey { get; } = plaintextKey;

    public void Dispose() => CryptographicOperations.ZeroMemory(PlaintextKey);

    public override string ToString() => $"UnwrappedKey {{ KeyId = {KeyId}, Version = {Version}, PlaintextKey = not shown }}";
}
