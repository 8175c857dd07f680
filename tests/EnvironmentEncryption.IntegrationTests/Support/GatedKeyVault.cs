using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace EnvironmentEncryption.IntegrationTests.Support;

/// <summary>The real vault, with one test handle: wraps under a given vault key can be held until released, so a
/// test can look at an environment while it is Updating (its rewrap waits in the vault).</summary>
public sealed class GatedKeyVault(IKeyVault inner) : IKeyVault
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> held = new();
    private readonly ConcurrentDictionary<string, int> failing = new();

    public IKeyVault Inner => inner;

    public string PreferredWrappingAlgorithm => inner.PreferredWrappingAlgorithm;

    /// <summary>Wraps under <paramref name="vaultKeyId"/> wait until the returned handle is disposed.</summary>
    public IDisposable HoldWrapsUnder(string vaultKeyId)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        held[vaultKeyId] = gate;
        return new Release(() =>
        {
            held.TryRemove(vaultKeyId, out _);
            gate.TrySetResult();
        });
    }

    /// <summary>The next <paramref name="times"/> wraps under <paramref name="vaultKeyId"/> fail as a vault request that
    /// timed out after its own retries would; disposing the handle ends it.</summary>
    public IDisposable FailWrapsUnder(string vaultKeyId, int times = int.MaxValue)
    {
        failing[vaultKeyId] = times;
        return new Release(() => failing.TryRemove(vaultKeyId, out _));
    }

    public int FailedWraps;

    public async Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default)
    {
        if (failing.TryGetValue(key.KeyId, out var left) && left > 0 && failing.TryUpdate(key.KeyId, left - 1, left))
        {
            Interlocked.Increment(ref FailedWraps);
            throw new TimeoutException("The vault did not answer in time.");
        }
        if (held.TryGetValue(key.KeyId, out var gate)) await gate.Task.WaitAsync(cancellationToken);
        return await inner.WrapAsync(key, plaintextKey, cancellationToken);
    }

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

    public Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default) =>
        inner.UnwrapAsync(key, wrappedKey, algorithm, cancellationToken);

    public Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) => inner.DeleteAsync(keyId, cancellationToken);

    public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        inner.GetThumbprintAsync(keyId, cancellationToken);

    public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) => inner.ExistsAsync(keyId, cancellationToken);

    public IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(CancellationToken cancellationToken = default) =>
        inner.ListTenantKeysAsync(cancellationToken);

    public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreateKeyExchangeKeyAsync(region, cancellationToken);

    public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreatePlatformKeyAsync(region, cancellationToken);

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
