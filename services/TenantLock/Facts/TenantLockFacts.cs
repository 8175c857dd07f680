using KeyPlatform.Contracts.Environments;
using KeyPlatform.TenantLock.TenantLocks;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using Marten;

namespace KeyPlatform.TenantLock.Facts;

/// <summary>The tenant's active key in a region, as KeyService's events told it (L1, L2).</summary>
public sealed class ActiveKeyFactsDocument
{
    public string Id { get; set; } = "";
    public string Thumbprint { get; set; } = "";
    public DateTimeOffset LastKeyChangeAt { get; set; }

    public static string KeyFor(string tenantId, string region) => $"{tenantId}:{region}";
}

/// <summary>One environment, as EnvironmentEncryption's events told it: the saga locks those under the tenant key (L3).</summary>
public sealed class EnvironmentFacts
{
    public string Id { get; set; } = "";
    public string TenantId { get; set; } = "";
    public string Region { get; set; } = "";
    public EnvironmentProtection Protection { get; set; }
    public string State { get; set; } = "";
}

/// <summary>How many lock cycles a tenant's region has had, and the latest one.</summary>
public sealed class LockIndex
{
    public string Id { get; set; } = "";
    public int Cycles { get; set; }
    public string? CurrentCycleId { get; set; }
}

public static class TenantLockFactsQueries
{
    public static async Task<ActiveKeyFacts?> ActiveKeyAsync(this IQuerySession session, string tenantId, string region, CancellationToken ct) =>
        await session.LoadAsync<ActiveKeyFactsDocument>(ActiveKeyFactsDocument.KeyFor(tenantId, region), ct) is { } facts
            ? new ActiveKeyFacts(facts.Thumbprint, facts.LastKeyChangeAt)
            : null;

    /// <summary>L3: the environments of the tenant's region under the tenant key, not deleted.</summary>
    public static async Task<IReadOnlyList<string>> EnvironmentsUnderTenantKeyAsync(this IQuerySession session, string tenantId,
        string region, CancellationToken ct)
    {
        var environments = await session.Query<EnvironmentFacts>()
            .Where(e => e.TenantId == tenantId && e.Region == region && e.Protection == EnvironmentProtection.TenantKey && e.State != "Deleted")
            .Select(e => e.Id).ToListAsync(ct);
        return environments.Order(StringComparer.Ordinal).ToList();
    }

    public static Task<TenantLockCycle?> CurrentCycleAsync(this IQuerySession session, string tenantId, string region, CancellationToken ct) =>
        session.CurrentAsync<TenantLockCycle>(tenantId, region, ct);

    /// <summary>S4: the lock progress (read model) of the tenant's latest cycle in the region.</summary>
    public static Task<LockProgress?> CurrentProgressAsync(this IQuerySession session, string tenantId, string region, CancellationToken ct) =>
        session.CurrentAsync<LockProgress>(tenantId, region, ct);

    private static async Task<T?> CurrentAsync<T>(this IQuerySession session, string tenantId, string region, CancellationToken ct)
        where T : notnull
    {
        var index = await session.LoadAsync<LockIndex>(ActiveKeyFactsDocument.KeyFor(tenantId, region), ct);
        return index?.CurrentCycleId is { } id ? await session.LoadAsync<T>(id, ct) : default;
    }
}
