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
/// throws <see cref="VaultKeyNotFoundException"/>. Every key is bound to its <see cref="VaultKeyOwner"/> when it is
/// created or imported; a wrap or unwrap names the key by a <see cref="VaultKeyReference"/> (id, expected owner,
/// expected thumbprint) and throws <see cref="VaultKeyOwnershipException"/>, doing nothing, when the key differs.
/// </remarks>
public interface IKeyVault
{
    /// <summary>
    /// Stores an RSA 2048-bit private key (K4) as a key of <paramref name="owner"/>, a tenant. The caller checked the file
    /// with <see cref="KeyFileReader"/> and proved possession with <see cref="PossessionProof.Prove"/>.
    /// </summary>
    Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unwraps a .byok file with the key-exchange key of the owner's region, inside the vault, and stores the key it
    /// carries (K4) as a key of <paramref name="owner"/>, provided its thumbprint is <paramref name="provedThumbprint"/>
    /// (what <see cref="PossessionProof.ProveByokAsync"/> proved for this file). A file that breaks K2 is refused with
    /// the reason; nothing is stored.
    /// </summary>
    Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(
        VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a .byok file with this region's key-exchange key, inside the vault, and signs <paramref name="challenge"/>
    /// with the key it carries, storing nothing: the vault's half of a proof of possession (K2, L1, U1) by a key that
    /// comes as .byok. <see cref="PossessionProof.Verify"/> checks the answer.
    /// </summary>
    Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(
        byte[] byokFile, string region, PossessionChallenge challenge, CancellationToken cancellationToken = default);

    /// <summary>
    /// Generates a new RSA 2048-bit key of <paramref name="owner"/> (a tenant) inside the vault and returns it once as a
    /// .pfx protected by <paramref name="pfxPassword"/> (K3). Neither the password nor the .pfx is kept.
    /// </summary>
    Task<GeneratedVaultKey> GenerateAsync(
        VaultKeyName name, VaultKeyOwner owner, string pfxPassword, CancellationToken cancellationToken = default);

    /// <summary>
    /// Wraps a data key under a tenant or platform key (D1) with <see cref="PreferredWrappingAlgorithm"/> (recorded in the result:
    /// RSA-OAEP-SHA256 where the store can, see <see cref="WrappingAlgorithm"/>), once the key is the one <paramref name="key"/> expects (owner
    /// and thumbprint); otherwise <see cref="VaultKeyOwnershipException"/>.
    /// </summary>
    Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unwraps a data key wrapped by <see cref="WrapAsync"/> with <paramref name="algorithm"/> (what the <see cref="WrappedKey"/>
    /// recorded; <see cref="WrappingAlgorithm.OrDefault"/> for data stored before it was recorded), with the same checks.
    /// Fails once the key is deleted (D4).
    /// </summary>
    Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Destroys a tenant key (L4): nothing can unwrap with it afterwards. Returns false when the key was already
    /// gone, so a repeated delete is harmless. Platform and key-exchange keys cannot be deleted.
    /// </summary>
    Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo (see <see cref="KeyThumbprint"/>).</summary>
    Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every tenant key the store holds (live; Key Vault's soft-deleted keys are not listed), with its owner and creation
    /// time, so keys that no ring knows any more can be found and deleted. Platform and key-exchange keys, keys of other
    /// applications and tenant keys stored before owners were recorded are not listed.
    /// </summary>
    IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// What the store holds of a key, for the key inventory: held, deleted but recoverable (Azure Key Vault's soft-delete;
    /// not destroyed for D4 until purged), or destroyed. Stores without a recoverable state answer from
    /// <see cref="ExistsAsync"/>.
    /// </summary>
    async Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default) =>
        await ExistsAsync(keyId, cancellationToken).ConfigureAwait(false) ? VaultKeyState.Held : VaultKeyState.Destroyed;

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

    /// <summary>
    /// The <see cref="WrappingAlgorithm"/> that <see cref="WrapAsync"/> records: what this store wraps with now. A data key
    /// recorded with another algorithm still unwraps (D3); K8 rewraps move it to this one. A store that does not say wraps
    /// with <see cref="WrappingAlgorithm.RsaOaep256"/>.
    /// </summary>
    string PreferredWrappingAlgorithm => WrappingAlgorithm.RsaOaep256;
}
