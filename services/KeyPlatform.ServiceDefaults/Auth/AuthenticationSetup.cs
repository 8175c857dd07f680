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
    /// checks are made per command by <see cref="Actor"/>, so HTTP and bus callers meet the same rules.</summary>
    public static IServiceCollection AddPlatformAuthentication(this IServiceCollection services,
        IConfiguration configuration, IHostEnvironment environment)
    {
        var options = configuration.GetSection(JwtOptions.Section).Get<JwtOptions>() ?? new JwtOptions();
        if (options.UsesDevelopmentKey && !DevelopmentFallbacks.AllowedIn(environment.EnvironmentName))
            throw new InvalidOperationException(
                $"Auth:SigningKey is not configured. Only Development and Testing hosts start with the development signing key, not {environment.EnvironmentName}.");
        if (options.SigningKey.Length < 32)
            throw new InvalidOperationException("Auth:SigningKey must be at least 32 characters long.");

        services.AddSingleton(options);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = options.Issuer,
                    ValidAudience = options.Audience,
                    IssuerSigningKey = options.SecurityKey(),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    RoleClaimType = PlatformClaims.Role,
                    NameClaimType = PlatformClaims.Subject,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }
}
