using System.Security.Claims;
using KeyPlatform.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Validates the access token a platform service sends with a command for a user (X2) with the very
/// parameters of the HTTP bearer scheme (issuer, audience, signing keys, algorithms, lifetime), so a token the API
/// would refuse is refused on the bus too.</summary>
public sealed class BusTokenValidator(IOptionsMonitor<JwtBearerOptions> bearer)
{
    /// <summary>The actor of a valid token, or the reason it is not one (never the token itself).</summary>
    public async Task<(Actor? Actor, string? Refused)> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token)) return (null, "the message carries no access token of its principal");
        var options = bearer.Get(JwtBearerDefaults.AuthenticationScheme);
        var parameters = options.TokenValidationParameters.Clone();
        if (options.ConfigurationManager is { } discovery)
        {
            var configuration = await discovery.GetConfigurationAsync(cancellationToken);
            parameters.IssuerSigningKeys = [.. parameters.IssuerSigningKeys ?? [], .. configuration.SigningKeys];
            parameters.ValidIssuers = [.. parameters.ValidIssuers ?? [], configuration.Issuer];
        }

        var result = await new JsonWebTokenHandler { MapInboundClaims = options.MapInboundClaims }
            .ValidateTokenAsync(token, parameters);
        if (!result.IsValid) return (null, $"its access token is not valid ({result.Exception?.GetType().Name ?? "refused"})");
        return Actor.FromClaims(new ClaimsPrincipal(result.ClaimsIdentity)) is { } actor
            ? (actor, null)
            : (null, "its access token carries no subject or tenant (tid) claim");
    }
}
