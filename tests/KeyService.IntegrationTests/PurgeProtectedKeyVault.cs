using System.Collections.Concurrent;
using KeyPlatform.Testing;
using KeyPlatform.Vault;

namespace KeyService.IntegrationTests;

/// <summary>The real vault, answering <see cref="GetStateAsync"/> as Azure Key Vault with purge protection does (whose adapter is
/// tested against the documented contract in the vault's own tests): a deleted key is gone from the real store, but recoverable
/// until its scheduled purge, which <see cref="Purge"/> stands for. Counts the state questions, so a test sees what is asked.</summary>
public sealed class PurgeProtectedKeyVault(IKeyVault inner, TimeProvider time) : DelegatingKeyVault(inner)
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    private readonly ConcurrentDictionary<string, DateTimeOffset> recoverable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> asked = new(StringComparer.Ordinal);

    public int StateQuestions(string keyId) => asked.GetValueOrDefault(keyId);

    public int AllStateQuestions => asked.Values.Sum();

    public DateTimeOffset? PurgeScheduledAt(string keyId) => recoverable.TryGetValue(keyId, out var at) ? at : null;

    public void Purge(string keyId) => recoverable.TryRemove(keyId, out _);

    public override async Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var deleted = await Inner.DeleteAsync(keyId, cancellationToken);
        if (deleted) recoverable[keyId] = time.GetUtcNow() + Retention;
        return deleted;
    }

    public override async Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default)
    {
        asked.AddOrUpdate(keyId, 1, (_, n) => n + 1);
        return recoverable.TryGetValue(keyId, out var purgeAt)
            ? new VaultKeyState(VaultKeyPhase.DeletedRecoverable, purgeAt)
            : await Inner.GetStateAsync(keyId, cancellationToken);
    }
}
