using KeyPlatform.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Validates the access token a platform service sends with a command for a user (X2) with the very
/// parameters of the HTTP bearer scheme (issuer, audience, signing keys from the same discovery document and JWKS,
/// algorithms, lifetime, claim mapping), so a token the API would refuse is refused on the bus too, and both trust the
/// same identity provider.</summary>
public sealed class BusTokenValidator(IOptionsMonitor<JwtBearerOptions> bearer, PlatformClaimMapping claims)
{
    /// <summary>The actor of a valid token, or the reason it is not one (never the token itself).</summary>
    public async Task<(Actor? Actor, string? Refused)> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token)) return (null, "the message carries no access token of its principal");
        var options = bearer.Get(JwtBearerDefaults.AuthenticationScheme);
        // As JwtBearerHandler does: the configuration manager (discovery) hands the handler its keys and issuer.
        var parameters = options.TokenValidationParameters.Clone();
        if (options.ConfigurationManager is BaseConfigurationManager discovery)
            parameters.ConfigurationManager = discovery;

        var result = await new JsonWebTokenHandler { MapInboundClaims = options.MapInboundClaims }
            .ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            if (options.RefreshOnIssuerKeyNotFound && result.Exception is SecurityTokenSignatureKeyNotFoundException)
                options.ConfigurationManager?.RequestRefresh();
            return (null, $"its access token is not valid ({result.Exception?.GetType().Name ?? "refused"})");
        }
        return Actor.FromClaims(claims.Map(new System.Security.Claims.ClaimsPrincipal(result.ClaimsIdentity))) is { } actor
            ? (actor, null)
            : (null, "its access token carries no subject or tenant claim");
    }
}
