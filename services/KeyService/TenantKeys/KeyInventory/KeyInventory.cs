using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;
using Marten;

namespace KeyPlatform.KeyService.TenantKeys.KeyInventory;

/// <summary>S4: the key inventory a dashboard reads, per tenant and region: every key with its state, and when
/// the next activation (K9) and a lock (L2) become allowed. Read from the ring kept inline with every append; for the keys
/// the lock deleted, the store says whether they are destroyed (<see cref="DeletedKeyCustody"/>).</summary>
public sealed record KeyInventoryView(string TenantId, string Region, IReadOnlyList<KeyInventoryItem> Keys,
    DateTimeOffset? LastActivatedAt, DateTimeOffset? NextActivationAllowedAt, DateTimeOffset? LockAllowedAt)
{
    public static KeyInventoryView From(TenantKeyRing ring, TenantKeyRules rules, IReadOnlyDictionary<string, VaultKeyState> custody) =>
        new(ring.TenantId, ring.Region,
        ring.Keys.Select(k => new KeyInventoryItem(k.KeyId, k.Name, k.State, k.Source, k.Thumbprint, k.AddedAt, k.ActivatedAt,
            DeletedKeyCustody.Shown(k.State) ? custody.GetValueOrDefault(k.VaultKeyId) : null)).ToList(),
        ring.LastActivatedAt, TenantKeyDecider.NextActivationAllowedAt(ring, rules), TenantKeyDecider.LockAllowedAt(ring, rules));
}

/// <param name="Custody">For a key the lock deleted (<c>Locked</c>, <c>Deleted</c>), what the store reports: <c>Destroyed</c>
/// (D4 holds for it), or <c>DeletedRecoverable</c> with the date the store will purge it (Azure Key Vault with purge
/// protection: a soft-deleted key counts as gone for D4 only after the purge); <c>Held</c> would mean the store still has it.
/// Absent for the keys the store is meant to hold, and when the store could not be asked.</param>
public sealed record KeyInventoryItem(string KeyId, string Name, TenantKeyState State, TenantKeySource Source, string Thumbprint,
    DateTimeOffset AddedAt, DateTimeOffset? ActivatedAt, VaultKeyState? Custody = null);

public static class KeyInventoryEndpoints
{
    public static void MapKeyInventory(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/tenants/{tenantId}/keys", async (HttpContext http, string tenantId, IQuerySession session, TenantKeyRules rules,
                DeletedKeyCustody custody) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var rings = await session.Query<TenantKeyRing>().Where(r => r.TenantId == tenantId).ToListAsync(http.RequestAborted);
                var states = await custody.StatesAsync(rings, http.RequestAborted);
                return Results.Ok(rings.OrderBy(r => r.Region).Select(r => KeyInventoryView.From(r, rules, states)).ToList());
            })
            .Produces<IReadOnlyList<KeyInventoryView>>()
            .ProducesRefusals()
            .WithName("ListTenantKeys").WithSummary("S4: the key inventory of every region of the tenant");

        routes.MapGet("/v1/tenants/{tenantId}/regions/{region}/keys",
                async (HttpContext http, string tenantId, string region, IQuerySession session, TenantKeyRules rules,
                    DeletedKeyCustody custody) =>
                {
                    if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                    var ring = await session.LoadAsync<TenantKeyRing>(TenantKeyRing.StreamKey(tenantId, region), http.RequestAborted);
                    return ring is null
                        ? QueryAccess.NotFound($"Tenant '{tenantId}' has no keys in region '{region}'.")
                        : Results.Ok(KeyInventoryView.From(ring, rules, await custody.StatesAsync([ring], http.RequestAborted)));
                })
            .Produces<KeyInventoryView>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetKeyInventory").WithSummary("S4: the key inventory of one region");
    }
}
