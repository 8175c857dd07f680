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

    public IKeyVault Inner => inner;

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

    public async Task<WrappedKey> WrapAsync(string keyId, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default)
    {
        if (held.TryGetValue(keyId, out var gate)) await gate.Task.WaitAsync(cancellationToken);
        return await inner.WrapAsync(keyId, plaintextKey, cancellationToken);
    }

    public Task<VaultKeyInfo> ImportAsync(VaultKeyName name, RSA privateKey, CancellationToken cancellationToken = default) =>
        inner.ImportAsync(name, privateKey, cancellationToken);

    public Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, byte[] byokFile, string region, CancellationToken cancellationToken = default) =>
        inner.ImportByokAsync(name, byokFile, region, cancellationToken);

    public Task<KeyFileResult<string>> ReadByokThumbprintAsync(byte[] byokFile, string region, CancellationToken cancellationToken = default) =>
        inner.ReadByokThumbprintAsync(byokFile, region, cancellationToken);

    public Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, string pfxPassword, CancellationToken cancellationToken = default) =>
        inner.GenerateAsync(name, pfxPassword, cancellationToken);

    public Task<UnwrappedKey> UnwrapAsync(string keyId, ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default) =>
        inner.UnwrapAsync(keyId, wrappedKey, cancellationToken);

    public Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) => inner.DeleteAsync(keyId, cancellationToken);

    public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        inner.GetThumbprintAsync(keyId, cancellationToken);

    public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) => inner.ExistsAsync(keyId, cancellationToken);

    public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreateKeyExchangeKeyAsync(region, cancellationToken);

    public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
        inner.GetOrCreatePlatformKeyAsync(region, cancellationToken);

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
