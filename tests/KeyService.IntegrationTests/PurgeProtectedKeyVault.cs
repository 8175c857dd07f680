using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace KeyService.IntegrationTests;

/// <summary>The real vault, answering <see cref="GetStateAsync"/> as Azure Key Vault with purge protection does (whose adapter is
/// tested against the documented contract in the vault's own tests): a deleted key is gone from the real store, but recoverable
/// until its scheduled purge, which <see cref="Purge"/> stands for. Counts the state questions, so a test sees what is asked.</summary>
public sealed class PurgeProtectedKeyVault(IKeyVault inner, TimeProvider time) : IKeyVault
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    private readonly ConcurrentDictionary<string, DateTimeOffset> recoverable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> asked = new(StringComparer.Ordinal);

    public int StateQuestions(string keyId) => asked.GetValueOrDefault(keyId);

    public int AllStateQuestions => asked.Values.Sum();

    public DateTimeOffset? PurgeScheduledAt(string keyId) => recoverable.TryGetValue(keyId, out var at) ? at : null;

    public void Purge(string keyId) => recoverable.TryRemove(keyId, out _);

    public async Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var deleted = await inner.DeleteAsync(keyId, cancellationToken);
        if (deleted) recoverable[keyId] = time.GetUtcNow() + Retention;
        return deleted;
    }

    public async Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default)
    {
        asked.AddOrUpdate(keyId, 1, (_, n) => n + 1);
        return recoverable.TryGetValue(keyId, out var purgeAt)
            ? new VaultKeyState(VaultKeyPhase.DeletedRecoverable, purgeAt)
            : await inner.GetStateAsync(keyId, cancellationToken);
    }

    public string PreferredWrappingAlgorithm => inner.PreferredWrappingAlgorithm;

    public IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(CancellationToken cancellationToken = default) =>
        inner.ListTenantKeysAsync(cancellationToken);

    public Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey, CancellationToken cancellationToken = default) =>
        inner.ImportAsync(name, owner, privateKey, cancellationToken);

    public Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint,
        CancellationToken cancellationToken = default) =>
        inner.ImportByokAsync(name, owner, byokFile, provedThumbprint, cancellationToken);

    public Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(byte[] byokFile, string region, PossessionChallenge challenge,
        CancellationToken cancellationToken = default) =>
        inner.SignByokChallengeAsync(byokFile, region, challenge, cancellationToken);

    public Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, VaultKeyOwner owner, string pfxPassword, CancellationToken cancellationToken = default) =>
        inner.GenerateAsync(name, owner, pfxPassword, cancellationToken);

    public Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default) =>
        inner.WrapAsync(key, plaintextKey, cancellationToken);

    public Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default) =>
        inner.UnwrapAsync(key, wrappedKey, algorithm, cancellationToken);

    public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        inner.GetThumbprintAsync(keyId, cancellationToken);

    public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) => inner.ExistsAsync(keyId, cancellationToken);

    public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreateKeyExchangeKeyAsync(region, cancellationToken);

    public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreatePlatformKeyAsync(region, cancellationToken);
}
