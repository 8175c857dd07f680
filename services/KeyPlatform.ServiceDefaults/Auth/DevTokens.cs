using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>Mints tokens the services accept, for development, tests and the operator CLI. With the
/// development key these tokens are refused by a Production host (it will not start with that key).</summary>
public static class DevTokens
{
    public static string Mint(JwtOptions options, string subject, string tenantId, IEnumerable<string> roles,
        IEnumerable<string>? environments = null, TimeSpan? lifetime = null, DateTimeOffset? now = null)
    {
        var issuedAt = now ?? DateTimeOffset.UtcNow;
        var claims = new List<Claim> { new(PlatformClaims.Subject, subject), new(PlatformClaims.Tenant, tenantId) };
        claims.AddRange(roles.Select(r => new Claim(PlatformClaims.Role, r)));
        claims.AddRange((environments ?? []).Select(e => new Claim(PlatformClaims.Environment, e)));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime.AddMinutes(-1),
            Expires = (issuedAt + (lifetime ?? TimeSpan.FromHours(8))).UtcDateTime,
            SigningCredentials = new SigningCredentials(options.SecurityKey(), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
