using KeyPlatform.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.ServiceDefaults.Auth;

public static class AuthenticationSetup
{
    /// <summary>JWT bearer on every endpoint (fallback policy: authenticated). Role, tenant and environment
    /// checks are made per command by <see cref="Actor"/>, so HTTP and bus callers meet the same rules. With
    /// <c>Auth:Authority</c> or <c>Auth:MetadataAddress</c> the keys are the identity provider's (discovery and JWKS,
    /// refreshed without a restart); otherwise HS256 with <c>Auth:SigningKey</c>.</summary>
    public static IServiceCollection AddPlatformAuthentication(this IServiceCollection services,
        IConfiguration configuration, IHostEnvironment environment)
    {
        var options = configuration.GetSection(JwtOptions.Section).Get<JwtOptions>() ?? new JwtOptions();
        var developmentHost = DevelopmentFallbacks.AllowedIn(environment.EnvironmentName);
        if (options.UsesDevelopmentKey && !developmentHost)
            throw new InvalidOperationException(
                $"Neither Auth:Authority nor Auth:SigningKey is configured. Only Development and Testing hosts start with the development signing key, not {environment.EnvironmentName}.");
        if (!options.UsesDiscovery && options.SigningKey.Length < 32)
            throw new InvalidOperationException("Auth:SigningKey must be at least 32 characters long.");
        if (options.UsesDiscovery && !options.RequireHttpsMetadata && !developmentHost)
            throw new InvalidOperationException(
                $"Auth:RequireHttpsMetadata may be false only in Development and Testing hosts, not {environment.EnvironmentName}.");

        var mapping = new PlatformClaimMapping(options.Claims);
        services.AddSingleton(options);
        services.AddSingleton(mapping);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidAudience = options.Audience,
                    RoleClaimType = PlatformClaims.Role,
                    NameClaimType = PlatformClaims.Subject,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                if (options.UsesDiscovery) UseIdentityProvider(jwt, options);
                else
                {
                    jwt.TokenValidationParameters.ValidIssuer = options.Issuer;
                    jwt.TokenValidationParameters.IssuerSigningKey = options.SecurityKey();
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }
                jwt.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        context.Principal = mapping.Map(context.Principal!);
                        return Task.CompletedTask;
                    },
                };
            });
        // After JwtBearer's own post-configuration has made the configuration manager: a key the provider has removed
        // from its JWKS is refused at once, not trusted for another hour as part of a "last known good" configuration.
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt =>
        {
            if (jwt.ConfigurationManager is BaseConfigurationManager discovery) discovery.UseLastKnownGoodConfiguration = false;
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }

    /// <summary>Keys and issuer from the provider's discovery document: JwtBearer's configuration manager fetches it
    /// and its JWKS, refreshes them every <see cref="JwtOptions.AutomaticRefreshInterval"/>, and sooner (at most every
    /// <see cref="JwtOptions.RefreshInterval"/>) when a token names a key it does not know: a rotated-in key is
    /// trusted, a removed one no longer is, without a restart.</summary>
    private static void UseIdentityProvider(JwtBearerOptions jwt, JwtOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Authority)) jwt.Authority = options.Authority;
        if (!string.IsNullOrWhiteSpace(options.MetadataAddress)) jwt.MetadataAddress = options.MetadataAddress;
        jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
        jwt.Audience = options.Audience;
        jwt.RefreshOnIssuerKeyNotFound = true;
        if (options.AutomaticRefreshInterval is { } automatic) jwt.AutomaticRefreshInterval = automatic;
        if (options.RefreshInterval is { } refresh) jwt.RefreshInterval = refresh;
        jwt.TokenValidationParameters.ValidAlgorithms = JwtOptions.DiscoveryAlgorithms;
        jwt.TokenValidationParameters.RequireSignedTokens = true;
    }
}
