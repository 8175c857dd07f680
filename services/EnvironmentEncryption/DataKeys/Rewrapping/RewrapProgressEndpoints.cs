using KeyPlatform.ServiceDefaults.Commands;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;

public static class RewrapProgressEndpoints
{
    public static void MapRewrapProgress(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/tenants/{tenantId}/rewraps", async (HttpContext http, string tenantId, IQuerySession session) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var runs = await session.Query<RewrapRun>().Where(r => r.TenantId == tenantId)
                    .OrderByDescending(r => r.StartedAt).Take(20).ToListAsync(http.RequestAborted);
                return Results.Ok(await RewrapProgressView.ReadAsync(session, runs, http.RequestAborted));
            })
            .Produces<IReadOnlyList<RewrapProgressView>>()
            .ProducesRefusals()
            .WithName("ListRewraps")
            .WithSummary("K8, S4: the tenant's latest key rewraps, with their progress (done of total)");

        routes.MapGet("/v1/tenants/{tenantId}/rewraps/{rewrapId}", async (HttpContext http, string tenantId, string rewrapId, IQuerySession session) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var run = await session.LoadAsync<RewrapRun>(RewrapRun.StreamKey(rewrapId), http.RequestAborted);
                return run is null || run.TenantId != tenantId
                    ? QueryAccess.NotFound($"Tenant '{tenantId}' has no rewrap '{rewrapId}'.")
                    : Results.Ok((await RewrapProgressView.ReadAsync(session, [run], http.RequestAborted))[0]);
            })
            .Produces<RewrapProgressView>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetRewrap")
            .WithSummary("K8, S4: one key rewrap's progress (done of total)");
    }
}
