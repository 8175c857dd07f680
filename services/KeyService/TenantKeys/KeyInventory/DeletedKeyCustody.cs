using System.Collections.Concurrent;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Vault;

namespace KeyPlatform.KeyService.TenantKeys.KeyInventory;

/// <summary>
/// D4, L4: what the store says of the keys the lock deleted (<c>Locked</c>, <c>Deleted</c>): destroyed, or only deleted and
/// recoverable until Key Vault purges it (soft-delete with purge protection), which does not count as gone for D4. Only those
/// keys are asked about, all at once; a destroyed key stays destroyed, so its answer is kept for good; any other answer is asked
/// again after <see cref="RecheckAfter"/> or at the scheduled purge, whichever comes first (docs/decisions/0017).
/// </summary>
public sealed class DeletedKeyCustody(IKeyVault vault, TimeProvider time, ILogger<DeletedKeyCustody> logger)
{
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (VaultKeyState State, DateTimeOffset? Until)> known = new(StringComparer.Ordinal);

    /// <summary>Whether the store's state of a key in <paramref name="state"/> is shown: the lock deleted it from the store.</summary>
    public static bool Shown(TenantKeyState state) => state is TenantKeyState.Locked or TenantKeyState.Deleted;

    /// <summary>The store's state of every shown key of <paramref name="rings"/>, by vault key id; a key the store could not be
    /// asked about now is left out (the inventory still answers).</summary>
    public async Task<IReadOnlyDictionary<string, VaultKeyState>> StatesAsync(IEnumerable<TenantKeyRing> rings,
        CancellationToken cancellationToken)
    {
        var ids = rings.SelectMany(r => r.Keys).Where(k => Shown(k.State)).Select(k => k.VaultKeyId).Distinct(StringComparer.Ordinal);
        var states = await Task.WhenAll(ids.Select(async id => (Id: id, State: await StateAsync(id, cancellationToken))));
        return states.Where(s => s.State is not null).ToDictionary(s => s.Id, s => s.State!, StringComparer.Ordinal);
    }

    private async Task<VaultKeyState?> StateAsync(string vaultKeyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (known.TryGetValue(vaultKeyId, out var cached) && (cached.Until is null || now < cached.Until)) return cached.State;
        try
        {
            var state = await vault.GetStateAsync(vaultKeyId, cancellationToken);
            var recheckAt = now + RecheckAfter;
            known[vaultKeyId] = (state, state.IsDestroyed ? null
                : state.PurgeScheduledAt is { } purge && purge < recheckAt ? purge : recheckAt);
            return state;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("The store could not say whether key {VaultKeyId} is destroyed ({ExceptionType})", vaultKeyId, e.GetType().Name);
            return null;
        }
    }
}
