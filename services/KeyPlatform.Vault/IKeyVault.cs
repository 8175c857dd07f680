using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.Vault;

/// <summary>
/// The key store behind the platform (think Azure Key Vault): tenant keys are imported or generated into it,
/// data keys are wrapped and unwrapped by it, and private key material never leaves it except once, as the
/// password-protected .pfx of a generated key (K3).
/// </summary>
/// <remarks>
/// Key ids are the vault's own opaque ids. Every call that names a key that is not (or no longer) in the vault
/// throws <see cref="VaultKeyNotFoundException"/>.
/// </remarks>
public interface IKeyVault
{
    /// <summary>Stores an RSA 2048-bit private key (K4). The caller checked the file with <see cref="KeyFileReader"/>.</summary>
    Task<VaultKeyInfo> ImportAsync(VaultKeyName name, RSA privateKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unwraps a .byok file with this region's key-exchange key, inside the vault, and stores the key it carries (K4).
    /// A file that breaks K2 is refused with the reason, nothing is stored.
    /// </summary>
    Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(
        VaultKeyName name, byte[] byokFile, string region, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a .byok file with this region's key-exchange key and returns the public-key thumbprint of the key it
    /// carries, storing nothing: proof of possession for lock and unlock (L1, U1) by a key that came in as .byok.
    /// </summary>
    Task<KeyFileResult<string>> ReadByokThumbprintAsync(
        byte[] byokFile, string region, CancellationToken cancellationToken = default);

    /// <summary>
    /// Generates a new RSA 2048-bit key inside the vault and returns it once as a .pfx protected by
    /// <paramref name="pfxPassword"/> (K3). Neither the password nor the .pfx is kept.
    /// </summary>
    Task<GeneratedVaultKey> GenerateAsync(
        VaultKeyName name, string pfxPassword, CancellationToken cancellationToken = default);

    /// <summary>Wraps a data key with RSA-OAEP-SHA256 under a tenant or platform key (D1).</summary>
    Task<WrappedKey> WrapAsync(string keyId, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default);

    /// <summary>Unwraps a data key wrapped by <see cref="WrapAsync"/>. Fails once the key is deleted (D4).</summary>
    Task<UnwrappedKey> UnwrapAsync(string keyId, ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Destroys a tenant key (L4): nothing can unwrap with it afterwards. Returns false when the key was already
    /// gone, so a repeated delete is harmless. Platform and key-exchange keys cannot be deleted.
    /// </summary>
    Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo (see <see cref="KeyThumbprint"/>).</summary>
    Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The region's key-exchange key for BYOK (the "subscription ID" shown to the admin before export). Created on
    /// first use; its private part never leaves the vault. Idempotent and safe under concurrent callers.
    /// </summary>
    Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default);

    /// <summary>
    /// The region's platform-managed key, which wraps environment data keys by default (E1, D1). Created on first
    /// use; idempotent and safe under concurrent callers (everyone gets the same key).
    /// </summary>
    Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default);
}
