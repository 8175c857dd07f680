using KeyPlatform.KeyService.Tenants;
using KeyPlatform.KeyService.VaultGateway;
using KeyPlatform.ServiceDefaults.Telemetry;
using KeyPlatform.Vault;
using Marten;

namespace KeyPlatform.KeyService.TenantKeys.OrphanKeys;

/// <summary>
/// Deletes tenant keys the vault holds but no ring knows: imported just before a crash, before a late refusal, or twice
/// by a retried import. A key is known when any ring's events name it (<see cref="KeyAdded"/>, <see cref="KeyReinstated"/>),
/// whatever its state now; a key younger than <see cref="OrphanKeyOptions.GracePeriod"/> is left alone, because its event
/// may still be on its way; a key of a tenant this deployment never enabled is not its own. Each deletion is logged (key id, tenant, region) and counted.
/// </summary>
/// <remarks>
/// The store is listed before the events are read, so a key whose event is appended in between is read as known. The
/// known ids come from the event store, not from the ring documents, so a projection being rebuilt cannot make every key
/// look like an orphan. Several instances may reconcile at once: a repeated delete is harmless.
/// </remarks>
public sealed class OrphanKeyReconciler(IKeyVault vault, IDocumentStore store, VaultGatewayImports imports, OrphanKeyOptions options,
    TimeProvider time, ILogger<OrphanKeyReconciler> logger)
{
    /// <summary>One round; returns how many orphans it deleted. The gateway's import records that can allow nothing any more
    /// (<see cref="VaultGatewayImports.PruneAsync"/>) are deleted in the same round, with the same grace period.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var oldEnough = time.GetUtcNow() - options.GracePeriod;
        var stored = await vault.ListTenantKeysAsync(cancellationToken).ToListAsync(cancellationToken);
        var (known, tenants) = await KnownAsync(cancellationToken);
        var inStore = stored.Select(key => key.KeyId).ToHashSet(StringComparer.Ordinal);
        var deleted = 0;
        foreach (var orphan in stored.Where(key => key.CreatedAt <= oldEnough && !known.Contains(key.KeyId) && tenants.Contains(key.Owner.TenantId!)))
        {
            try
            {
                if (!await vault.DeleteAsync(orphan.KeyId, cancellationToken)) continue;
                inStore.Remove(orphan.KeyId);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The exception type only: a lower layer's message is not ours to vouch for. The next round tries again.
                logger.LogWarning("Orphan key {VaultKeyId} of tenant {TenantId} in region {Region} could not be deleted ({ExceptionType}).",
                    orphan.KeyId, orphan.Owner.TenantId, orphan.Owner.Region, e.GetType().Name);
                continue;
            }

            deleted++;
            PlatformTelemetry.OrphanKeysDeleted.Add(1, new KeyValuePair<string, object?>("region", orphan.Owner.Region));
            logger.LogWarning(
                "Orphan key {VaultKeyId} of tenant {TenantId} in region {Region}, stored at {CreatedAt} and named by no key ring, deleted from the vault.",
                orphan.KeyId, orphan.Owner.TenantId, orphan.Owner.Region, orphan.CreatedAt);
        }

        var pruned = await imports.PruneAsync(known, inStore, oldEnough, cancellationToken);
        if (pruned > 0) logger.LogInformation("Deleted {Count} vault gateway import records of keys a ring took in or the vault deleted.", pruned);
        return deleted;
    }

    /// <summary>The vault keys some ring names, and the tenants this deployment enabled (T1; no key is added before it).
    /// A store key of any other tenant is not this deployment's (a store shared with another one) and is left alone.</summary>
    private async Task<(HashSet<string> VaultKeyIds, HashSet<string> Tenants)> KnownAsync(CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var added = await session.Events.QueryRawEventDataOnly<KeyAdded>().Select(e => e.VaultKeyId).ToListAsync(cancellationToken);
        var reinstated = await session.Events.QueryRawEventDataOnly<KeyReinstated>().Select(e => e.VaultKeyId).ToListAsync(cancellationToken);
        var tenants = await session.Events.QueryRawEventDataOnly<TenantEnabled>().Select(e => e.TenantId).ToListAsync(cancellationToken);
        return ([.. added, .. reinstated], new HashSet<string>(tenants, StringComparer.Ordinal));
    }
}
