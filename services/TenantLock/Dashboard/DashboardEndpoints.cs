using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.TenantLock.TenantLocks;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using KeyPlatform.TenantLock.Tenants;
using Marten;
using Microsoft.Extensions.Http.Resilience;

namespace KeyPlatform.TenantLock.Dashboard;

/// <summary>S4: the dashboard page (anonymous static files: it holds no data until the browser sends a token) and the
/// backend-for-frontend it polls, which aggregates the three services' projections for one tenant.</summary>
public static class DashboardEndpoints
{
    private const int MaxTenants = 1000;
    private const int LockCyclesShown = 5;

    public static IServiceCollection AddDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(DashboardServicesOptions.Section).Get<DashboardServicesOptions>() ?? new DashboardServicesOptions();
        services.AddSingleton(options);
        services.AddSingleton<UpstreamReads>();
        services.AddSingleton(DashboardPage.Load());
        // A dashboard read is polled every few seconds: one quick retry, and an open circuit answers at once while a
        // service is down, instead of the standard handler's long retries.
        AddReadClient(services, UpstreamReads.KeyServiceClient, options.KeyService);
        AddReadClient(services, UpstreamReads.EnvironmentEncryptionClient, options.EnvironmentEncryption);
        return services;
    }

    // RemoveAllResilienceHandlers is an evaluation API (EXTEXP0001), made for replacing the handler that
    // ConfigureHttpClientDefaults added: a change to it breaks the build, not the behaviour.
#pragma warning disable EXTEXP0001
    private static void AddReadClient(IServiceCollection services, string name, Uri baseAddress) =>
        services.AddHttpClient(name, client => client.BaseAddress = baseAddress)
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
            {
                resilience.Retry.MaxRetryAttempts = 1;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(100);
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(4);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
                resilience.CircuitBreaker.MinimumThroughput = 4;
                resilience.CircuitBreaker.FailureRatio = 0.5;
                resilience.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(2);
            });
#pragma warning restore EXTEXP0001

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/dashboard", (HttpContext http, DashboardPage page) => page.Serve(http, DashboardPage.Index))
            .AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/dashboard/assets/{file}", (HttpContext http, string file, DashboardPage page) => page.Serve(http, file))
            .AllowAnonymous().ExcludeFromDescription();

        var api = routes.MapGroup("/v1/dashboard");

        api.MapGet("/tenants", async (HttpContext http, IQuerySession session, TimeProvider time) =>
            {
                if (Actor.FromClaims(http.User) is not { } actor || !(actor.IsOperator || actor.IsTenantAdmin))
                    return Refused("Only platform operators and tenant administrators may open the dashboard.");
                if (!(actor.IsOperator && actor.TenantId == "*"))
                {
                    var own = await session.LoadAsync<TenantLockStatus>(actor.TenantId, http.RequestAborted);
                    return Results.Ok(new DashboardTenantsView(time.GetUtcNow(), [new DashboardTenant(actor.TenantId, own?.FeatureEnabledAt)]));
                }
                var enabled = await session.Query<TenantLockStatus>().OrderBy(s => s.Id).Take(MaxTenants).ToListAsync(http.RequestAborted);
                var locked = await session.Query<TenantLockCycle>().Select(c => c.TenantId).Distinct().ToListAsync(http.RequestAborted);
                var tenants = enabled.Select(s => new DashboardTenant(s.Id, s.FeatureEnabledAt))
                    .Concat(locked.Except(enabled.Select(s => s.Id)).Select(id => new DashboardTenant(id, null)))
                    .OrderBy(t => t.TenantId, StringComparer.Ordinal).Take(MaxTenants).ToList();
                return Results.Ok(new DashboardTenantsView(time.GetUtcNow(), tenants));
            })
            .Produces<DashboardTenantsView>()
            .ProducesRefusals()
            .WithName("ListDashboardTenants")
            .WithSummary("S4: the tenants the dashboard can show: every known tenant for operators, their own for tenant administrators");

        api.MapGet("/tenants/{tenantId}", async (HttpContext http, string tenantId, UpstreamReads upstream, IQuerySession session,
                TenantLockRules rules, TimeProvider time) =>
            {
                if (Actor.FromClaims(http.User) is not { } actor || !actor.BelongsTo(tenantId) || !(actor.IsOperator || actor.IsTenantAdmin))
                    return Refused($"Only platform operators and administrators of tenant '{tenantId}' may see its dashboard.");
                var authorization = http.Request.Headers.Authorization.ToString();
                var keys = upstream.KeyInventoryAsync(tenantId, authorization, http.RequestAborted);
                var environments = upstream.EnvironmentsAsync(tenantId, authorization, http.RequestAborted);
                var cycles = await session.CyclesOfAsync(tenantId, http.RequestAborted);
                var shown = new List<DashboardLockCycle>();
                foreach (var progress in cycles.Take(LockCyclesShown))
                    shown.Add(new DashboardLockCycle(await session.ViewAsync(progress, rules, http.RequestAborted),
                        progress.RequestedAt + rules.LockProcessLimit));
                var locks = Panel<IReadOnlyList<DashboardLockCycle>>.Ok(shown);
                return Results.Ok(new TenantDashboardView(tenantId, time.GetUtcNow(), await keys, await environments, locks));
            })
            .Produces<TenantDashboardView>()
            .ProducesRefusals()
            .WithName("GetTenantDashboard")
            .WithSummary("S4: one tenant's keys (K9, L2), environments (L7, K8) and lock progress (L5, L6, L7) with the server's now");
        return routes;
    }

    private static IResult Refused(string reason) => Results.Problem(RefusalProblems.ToProblemDetails(Refusal.Unauthorized(reason)));
}
