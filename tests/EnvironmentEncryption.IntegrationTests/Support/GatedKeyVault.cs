using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace EnvironmentEncryption.IntegrationTests.Support;

/// <summary>The real vault, with one test handle: wraps under a given vault key can be held until released, so a
/// test can look at an environment while it is Updating (its rewrap waits in the vault).</summary>
public sealed class GatedKeyVault(IKeyVault inner) : DelegatingKeyVault(inner)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> held = new();
    private readonly ConcurrentDictionary<string, int> failing = new();

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

    public override async Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default)
    {
        if (failing.TryGetValue(key.KeyId, out var left) && left > 0 && failing.TryUpdate(key.KeyId, left - 1, left))
        {
            Interlocked.Increment(ref FailedWraps);
            throw new TimeoutException("The vault did not answer in time.");
        }
        if (held.TryGetValue(key.KeyId, out var gate)) await gate.Task.WaitAsync(cancellationToken);
        return await Inner.WrapAsync(key, plaintextKey, cancellationToken);
    }

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
