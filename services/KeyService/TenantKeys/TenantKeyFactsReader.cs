using KeyPlatform.KeyService.TenantKeys.LockedEnvironments;
using KeyPlatform.KeyService.Tenants;
using Marten;

namespace KeyPlatform.KeyService.TenantKeys;

/// <summary>Reads the facts the key decider needs from outside its stream.</summary>
public sealed class TenantKeyFactsReader(IDocumentStore store)
{
    /// <summary>K1: the locked environments are counted in the ring's region only.</summary>
    public async Task<TenantKeyFacts> ReadAsync(string tenantId, string region, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var enablement = await session.Events.AggregateStreamAsync<TenantEnablement>(TenantEnablement.StreamKey(tenantId), token: cancellationToken);
        var locked = await session.Query<LockedEnvironment>().CountAsync(e => e.TenantId == tenantId && e.Region == region, cancellationToken);
        return new TenantKeyFacts(enablement is not null, locked);
    }

    public async Task<TenantKeyRing?> RingAsync(string tenantId, string region, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<TenantKeyRing>(TenantKeyRing.StreamKey(tenantId, region), cancellationToken);
    }
}
