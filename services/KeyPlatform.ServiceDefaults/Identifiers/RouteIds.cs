using KeyPlatform.ServiceDefaults.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.ServiceDefaults.Identifiers;

/// <summary>
/// X3 for every HTTP endpoint, reads included: the route values <c>{tenantId}</c>, <c>{region}</c> and
/// <c>{environmentId}</c> (URL-decoded, so <c>%20europe</c> is <c>" europe"</c>) are checked before the endpoint runs.
/// A bad one is a 400 ProblemDetails with rule X3; no endpoint sees it, so no read can create or look up a stream
/// under it.
/// </summary>
public static class RouteIds
{
    public static IApplicationBuilder UseCanonicalRouteIds(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (Check(http) is { } refusal)
        {
            await RefusalProblems.ToResult(refusal, TimeProvider.System).ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    private static Refusal? Check(HttpContext http)
    {
        var values = http.Request.RouteValues;
        if (values.Count == 0) return null;
        var ids = http.RequestServices.GetRequiredService<PlatformIds>();
        return (values.TryGetValue("tenantId", out var tenant) ? ids.CheckTenantId(tenant as string) : null)
               ?? (values.TryGetValue("region", out var region) ? ids.CheckRegion(region as string) : null)
               ?? (values.TryGetValue("environmentId", out var environment) ? ids.CheckEnvironmentId(environment as string) : null);
    }
}
