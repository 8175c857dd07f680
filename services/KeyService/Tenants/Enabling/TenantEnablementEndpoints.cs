using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using Marten;

namespace KeyPlatform.KeyService.Tenants.Enabling;

public static class TenantEnablementEndpoints
{
    public sealed record EnableRequest(
        [Range(0, TenantEnablementDecider.MaxLicences)] int AppPerUserLicences,
        [Range(0, TenantEnablementDecider.MaxLicences)] int EnterpriseLicences);

    public static void MapTenantEnablement(this IEndpointRouteBuilder routes)
    {
        routes.MapPut("/v1/tenants/{tenantId}/enablement", (HttpContext http, string tenantId, EnableRequest body) =>
                CommandEndpoints.Dispatch(http, new EnableTenantEncryption(tenantId, body.AppPerUserLicences, body.EnterpriseLicences),
                    _ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("EnableTenantEncryption")
            .WithSummary("T1: turn the tenant key feature on (platform operators)");

        routes.MapGet("/v1/tenants/{tenantId}/enablement", async (HttpContext http, string tenantId, IQuerySession session) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var state = await session.Events.AggregateStreamAsync<TenantEnablement>(TenantEnablement.StreamKey(tenantId));
                return state is null
                    ? QueryAccess.NotFound($"The feature is not on for tenant '{tenantId}'.")
                    : Results.Ok(state);
            })
            .Produces<TenantEnablement>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetTenantEnablement");
    }
}
