using System.Globalization;
using System.Threading.RateLimiting;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.ServiceDefaults.Protection;

/// <summary>Configuration section <c>RateLimits</c>: per caller (token subject) and per tenant (route) limits on the
/// endpoints that handle key material and lock or unlock, each a fixed window. <c>RateLimits:Enabled=false</c> turns
/// them off (the test hosts do, so burst tests keep working).</summary>
public sealed class AbuseLimitOptions
{
    public const string Section = "RateLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>Key upload and generation (.pfx in or out).</summary>
    public AbuseLimit KeyMaterial { get; set; } = new() { PerCaller = 10, PerTenant = 30, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Data-key releases to platform storage services (plaintext data keys out): frequent by design.</summary>
    public AbuseLimit DataKeyRelease { get; set; } = new() { PerCaller = 600, PerTenant = 1200, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Tenant lock, lock resume, tenant-key unlock and environment unlock.</summary>
    public AbuseLimit Lock { get; set; } = new() { PerCaller = 5, PerTenant = 10, Window = TimeSpan.FromMinutes(1) };

    public AbuseLimit For(string policy) => policy switch
    {
        AbuseLimits.KeyMaterial => KeyMaterial,
        AbuseLimits.DataKeyRelease => DataKeyRelease,
        AbuseLimits.Lock => Lock,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "no such abuse limit"),
    };
}

/// <summary>One limit: requests per window for one caller, and for all callers of one tenant together.</summary>
public sealed class AbuseLimit
{
    public int PerCaller { get; set; }
    public int PerTenant { get; set; }
    public TimeSpan Window { get; set; }
}

/// <summary>The endpoint metadata that puts an endpoint under one of the <see cref="AbuseLimits"/>.</summary>
public sealed record AbuseLimitMetadata(string Policy);

/// <summary>ASP.NET Core rate limiting as the abuse limits of the key-material and lock endpoints: a global limiter
/// chained from a per-caller and a per-tenant partitioned fixed-window limiter, which leaves every endpoint without
/// <see cref="AbuseLimitMetadata"/> unlimited. A refusal is 429 ProblemDetails with rule <c>RATE_LIMIT</c> and
/// <c>Retry-After</c>.</summary>
public static class AbuseLimits
{
    public const string KeyMaterial = "key-material", DataKeyRelease = "data-key-release", Lock = "lock";

    public static TBuilder RequireAbuseLimit<TBuilder>(this TBuilder endpoint, string policy) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new AbuseLimitMetadata(policy));

    public static IServiceCollection AddPlatformAbuseLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AbuseLimitOptions.Section).Get<AbuseLimitOptions>() ?? new AbuseLimitOptions();
        services.AddSingleton(options);
        services.AddRateLimiter(limiter =>
        {
            if (!options.Enabled) return;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                Partitioned(options, http => Actor.FromClaims(http.User) is { } caller ? $"{caller.TenantId}/{caller.Subject}" : null,
                    limit => limit.PerCaller, "caller"),
                Partitioned(options, http => http.Request.RouteValues["tenantId"] as string, limit => limit.PerTenant, "tenant"));
            limiter.OnRejected = (context, _) => RejectAsync(context);
        });
        return services;
    }

    public static WebApplication UsePlatformAbuseLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static PartitionedRateLimiter<HttpContext> Partitioned(AbuseLimitOptions options, Func<HttpContext, string?> key,
        Func<AbuseLimit, int> permits, string scope) =>
        PartitionedRateLimiter.Create<HttpContext, string>(http =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<AbuseLimitMetadata>() is not { } metadata)
                return RateLimitPartition.GetNoLimiter("");
            var limit = options.For(metadata.Policy);
            // Requests without a caller or tenant share one partition per policy: they are limited, never let through.
            return RateLimitPartition.GetFixedWindowLimiter($"{metadata.Policy}|{scope}|{key(http) ?? ""}", _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, permits(limit)),
                Window = limit.Window > TimeSpan.Zero ? limit.Window : TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });

    private static async ValueTask RejectAsync(OnRejectedContext context)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : (TimeSpan?)null;
        if (wait is { } delay)
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var problem = RefusalProblems.ToProblemDetails(new Refusal(Rules.RateLimit,
            "Too many requests of this kind from this caller or for this tenant" + (wait is { } w ? $"; try again in {Math.Ceiling(w.TotalSeconds)} s." : ".")));
        problem.Status = StatusCodes.Status429TooManyRequests;
        problem.Title = "Too many requests";
        await Results.Problem(problem).ExecuteAsync(http);
    }
}
