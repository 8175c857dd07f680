using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Faults;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;

namespace KeyPlatform.KeyService.TenantKeys.Adding;

/// <summary>What generating and uploading share: check the rules before touching the vault, put the key in the
/// vault as the tenant's key of the region, add it to the ring; if the ring refuses it after all (a race), take it out of the vault again so
/// nothing is half applied. A process that dies between the vault and the ring leaves an orphan in the vault, which the
/// reconciliation deletes (<see cref="OrphanKeys.OrphanKeyReconciler"/>); <see cref="KeyImportedFaultPoint"/> is that moment.</summary>
public sealed class TenantKeyAdding(StreamCommands streams, TenantKeyFactsReader facts, IKeyVault vault, FaultPoints faults)
{
    /// <summary>The key is in the vault, its <see cref="KeyAdded"/> not appended yet (uploads and generation alike).</summary>
    public const string KeyImportedFaultPoint = "key-service.key-imported";

    public sealed record Added(string KeyId, VaultKeyInfo Vault);

    public async Task<(Refusal? Refusal, Added? Added)> AddAsync(string tenantId, string region, string name,
        TenantKeySource source, bool acknowledgeRisk, CommandContext context,
        Func<VaultKeyName, VaultKeyOwner, Task<(Refusal? Refusal, VaultKeyInfo? Key)>> putInVault, CancellationToken cancellationToken)
    {
        var known = await facts.ReadAsync(tenantId, region, cancellationToken);
        var ring = await facts.RingAsync(tenantId, region, cancellationToken);
        if (TenantKeyDecider.CanAddKey(ring, known, name, null, acknowledgeRisk) is { } early) return (early, null);

        var (refused, key) = await putInVault(new VaultKeyName($"{tenantId}/{region}/{name}"), VaultKeyOwner.Tenant(tenantId, region));
        if (refused is not null) return (refused, null);
        faults.Reach(KeyImportedFaultPoint);

        var keyId = Guid.CreateVersion7().ToString("N");
        var command = new AddTenantKey(tenantId, region, keyId, name, key!.Thumbprint, key.KeyId, source, acknowledgeRisk);
        var result = await streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(tenantId, region), context,
            (state, now) => TenantKeyDecider.Decide(state, command, known, now), cancellationToken);
        if (result.Refusal is { } late)
        {
            await vault.DeleteAsync(key.KeyId, CancellationToken.None);
            return (late, null);
        }
        return (null, new Added(keyId, key));
    }
}
