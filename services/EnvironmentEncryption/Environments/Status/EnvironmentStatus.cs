using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Environments.Status;

/// <summary>S4: an environment's encryption status as a dashboard shows it: which key, its state, since when it is
/// locked and when it will be deleted if it stays locked (L7), whether a key rewrap (K8) or a fresh data key (V3, while
/// Updating) is still to reach it, and the
/// components that stay under the platform key whatever the environment uses (T3). Read from the environment's
/// inline snapshot, so it is never behind its stream.</summary>
public sealed record EnvironmentStatusView(
    string EnvironmentId,
    string TenantId,
    string Region,
    string Name,
    EnvironmentType Type,
    EnvironmentStorage Storage,
    string Version,
    EnvironmentProtection Protection,
    string? TenantKeyId,
    string? KeyThumbprint,
    EnvironmentState State,
    string? ApplyingTenantKeyId,
    DateTimeOffset? LockedSince,
    DateTimeOffset? DeletionDueAt,
    bool RewrapPending,
    IReadOnlyList<string> PlatformManagedComponents,
    DateTimeOffset ChangedAt)
{
    public static EnvironmentStatusView From(TenantEnvironment environment, TenantFacts? facts, EnvironmentRules rules,
        string preferredAlgorithm) => new(
        environment.EnvironmentId, environment.TenantId, environment.Region, environment.Name, environment.Type, environment.Storage,
        environment.Version, environment.Protection, environment.TenantKeyId, environment.DataKey?.Thumbprint, environment.State,
        environment.ApplyingTenantKeyId, environment.LockedSince, environment.LockedSince + rules.LockedEnvironmentDeletion,
        EnvironmentDecider.NeedsRewrap(environment, facts?.ActiveKey(environment.Region), preferredAlgorithm) || EnvironmentDecider.NeedsFreshDataKey(environment),
        EnvironmentDecider.PlatformManagedComponents, environment.ChangedAt);
}

/// <summary>One page of a tenant's environments, with the tenant's latest key rewraps and their progress.</summary>
public sealed record EnvironmentStatusPage(string TenantId, int Page, int PageSize, long Total, IReadOnlyList<EnvironmentStatusView> Environments,
    IReadOnlyList<RewrapProgressView> Rewraps);

public static class EnvironmentStatusEndpoints
{
    public static void MapEnvironmentStatus(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/tenants/{tenantId}/environments",
                async (HttpContext http, string tenantId, IQuerySession session, EnvironmentRules rules, DataKeyVault vault,
                    [Range(1, Paging.MaxPage)] int? page, [Range(1, Paging.MaxPageSize)] int? pageSize, bool? includeDeleted) =>
                {
                    if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                    var (number, size) = Paging.Requested(page, pageSize);
                    var query = session.Query<TenantEnvironment>().Where(e => e.TenantId == tenantId);
                    if (includeDeleted != true) query = query.Where(e => e.State != EnvironmentState.Deleted);
                    var total = await query.CountAsync(http.RequestAborted);
                    var environments = await query.OrderBy(e => e.EnvironmentId).Skip(Paging.Offset(number, size)).Take(size)
                        .ToListAsync(http.RequestAborted);
                    var facts = await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), http.RequestAborted);
                    var runs = await session.Query<RewrapRun>().Where(r => r.TenantId == tenantId)
                        .OrderByDescending(r => r.StartedAt).Take(5).ToListAsync(http.RequestAborted);
                    return Results.Ok(new EnvironmentStatusPage(tenantId, number, size, total,
                        environments.Select(e => EnvironmentStatusView.From(e, facts, rules, vault.PreferredAlgorithm)).ToList(),
                        await RewrapProgressView.ReadAsync(session, runs, http.RequestAborted)));
                })
            .Produces<EnvironmentStatusPage>()
            .ProducesRefusals()
            .WithName("ListEnvironments")
            .WithSummary("S4: the encryption status of the tenant's environments, paged, with the latest key rewraps' progress");

        routes.MapGet("/v1/tenants/{tenantId}/environments/{environmentId}",
                async (HttpContext http, string tenantId, string environmentId, IQuerySession session, EnvironmentRules rules,
                    DataKeyVault vault) =>
                {
                    if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                    var environment = await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environmentId), http.RequestAborted);
                    if (environment is null || environment.TenantId != tenantId)
                        return QueryAccess.NotFound($"Tenant '{tenantId}' has no environment '{environmentId}'.");
                    var facts = await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), http.RequestAborted);
                    return Results.Ok(EnvironmentStatusView.From(environment, facts, rules, vault.PreferredAlgorithm));
                })
            .Produces<EnvironmentStatusView>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetEnvironment")
            .WithSummary("S4, T3: one environment's encryption status");
    }
}
