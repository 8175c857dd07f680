using System.Security.Cryptography;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.Testing;

/// <summary>A key store that hands every call to <see cref="Inner"/>: the base of the test stores that change one or two
/// calls (hold wraps, play purge protection), so a new port method is forwarded in one place.</summary>
public abstract class DelegatingKeyVault(IKeyVault inner) : IKeyVault
{
    public IKeyVault Inner => inner;

    public virtual string PreferredWrappingAlgorithm => inner.PreferredWrappingAlgorithm;

    public virtual Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey, CancellationToken cancellationToken = default) =>
        inner.ImportAsync(name, owner, privateKey, cancellationToken);

    public virtual Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint,
        CancellationToken cancellationToken = default) =>
        inner.ImportByokAsync(name, owner, byokFile, provedThumbprint, cancellationToken);

    public virtual Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(byte[] byokFile, string region, PossessionChallenge challenge,
        CancellationToken cancellationToken = default) =>
        inner.SignByokChallengeAsync(byokFile, region, challenge, cancellationToken);

    public virtual Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, VaultKeyOwner owner, string pfxPassword,
        CancellationToken cancellationToken = default) =>
        inner.GenerateAsync(name, owner, pfxPassword, cancellationToken);

    public virtual Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default) =>
        inner.WrapAsync(key, plaintextKey, cancellationToken);

    public virtual Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default) =>
        inner.UnwrapAsync(key, wrappedKey, algorithm, cancellationToken);

    public virtual Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) => inner.DeleteAsync(keyId, cancellationToken);

    public virtual Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        inner.GetThumbprintAsync(keyId, cancellationToken);

    public virtual Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) => inner.ExistsAsync(keyId, cancellationToken);

    public virtual Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default) =>
        inner.GetStateAsync(keyId, cancellationToken);

    public virtual IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(CancellationToken cancellationToken = default) =>
        inner.ListTenantKeysAsync(cancellationToken);

    public virtual Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreateKeyExchangeKeyAsync(region, cancellationToken);

    public virtual Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreatePlatformKeyAsync(region, cancellationToken);
}
