using System.Net;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeyPlatform.ServiceDefaults.Protection;

/// <summary>Configuration: <c>Tls:RequireForKeyMaterial</c> (default: on in Production, off elsewhere), and the
/// proxies whose <c>X-Forwarded-Proto</c>/<c>X-Forwarded-For</c> are believed: <c>ForwardedHeaders:KnownProxies</c>
/// (addresses) and <c>ForwardedHeaders:KnownNetworks</c> (CIDR). With neither, no forwarded header is believed.</summary>
public sealed class KeyMaterialTransportOptions
{
    public bool RequireTls { get; init; }
    public IReadOnlyList<IPAddress> KnownProxies { get; init; } = [];
    public IReadOnlyList<System.Net.IPNetwork> KnownNetworks { get; init; } = [];

    public bool TrustsProxies => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public static KeyMaterialTransportOptions From(IConfiguration configuration, IHostEnvironment environment) => new()
    {
        RequireTls = configuration.GetValue<bool?>("Tls:RequireForKeyMaterial") ?? environment.IsProduction(),
        KnownProxies = (configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? []).Select(IPAddress.Parse).ToList(),
        KnownNetworks = (configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? []).Select(System.Net.IPNetwork.Parse).ToList(),
    };
}

/// <summary>The endpoint metadata of an endpoint that takes a .pfx and its password or returns a generated .pfx.</summary>
public sealed record KeyMaterialEndpointMetadata;

/// <summary>Key material only over TLS: where required, a request to a key-material endpoint that did not arrive over
/// HTTPS (directly, or as a configured proxy says in <c>X-Forwarded-Proto</c>) is refused with 403 ProblemDetails, rule
/// <c>TLS_REQUIRED</c>, before its body is read.</summary>
public static class KeyMaterialTransport
{
    public static TBuilder RequireTlsForKeyMaterial<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new KeyMaterialEndpointMetadata());

    public static IServiceCollection AddKeyMaterialTransport(this IServiceCollection services, IConfiguration configuration,
        IHostEnvironment environment)
    {
        var options = KeyMaterialTransportOptions.From(configuration, environment);
        services.AddSingleton(options);
        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies; not the library's default loopback.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in options.KnownProxies) forwarded.KnownProxies.Add(proxy);
            foreach (var network in options.KnownNetworks) forwarded.KnownIPNetworks.Add(network);
        });
        return services;
    }

    /// <summary>First in the pipeline: forwarded headers (only with configured proxies: with an empty list the middleware
    /// would believe anyone), then the TLS check of key-material endpoints.</summary>
    public static WebApplication UseKeyMaterialTransport(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<KeyMaterialTransportOptions>();
        if (options.TrustsProxies) app.UseForwardedHeaders();
        if (!options.RequireTls) return app;
        app.Use(async (http, next) =>
        {
            if (http.Request.IsHttps || http.GetEndpoint()?.Metadata.GetMetadata<KeyMaterialEndpointMetadata>() is null)
            {
                await next(http);
                return;
            }
            var problem = RefusalProblems.ToProblemDetails(new Refusal(Rules.TlsRequired,
                "Key files, their passwords and generated keys are accepted and returned only over HTTPS."));
            problem.Status = StatusCodes.Status403Forbidden;
            problem.Title = "HTTPS required for key material";
            await Results.Problem(problem).ExecuteAsync(http);
        });
        return app;
    }
}
