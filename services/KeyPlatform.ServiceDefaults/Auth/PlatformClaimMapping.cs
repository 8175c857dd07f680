using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>Turns a validated token's identity into our claims (<see cref="PlatformClaims"/>) by the configured
/// <see cref="PlatformClaimNames"/>, so <see cref="Actor.FromClaims"/> reads one shape whatever the identity provider.
/// HTTP (the bearer scheme's token-validated event) and the bus (<c>BusTokenValidator</c>) both map through here.
/// Claims that already carry one of our names are replaced, never merged: a token cannot bring its own <c>tid</c>
/// when the tenant is configured to come from another claim.</summary>
public sealed class PlatformClaimMapping(PlatformClaimNames names)
{
    private static readonly HashSet<string> Ours = new(StringComparer.Ordinal)
    {
        PlatformClaims.Subject, PlatformClaims.Tenant, PlatformClaims.Role, PlatformClaims.Environment,
        ClaimTypes.NameIdentifier, ClaimTypes.Role,
    };

    public ClaimsPrincipal Map(ClaimsPrincipal principal) =>
        principal.Identity is ClaimsIdentity identity ? new ClaimsPrincipal(Map(identity)) : principal;

    public ClaimsIdentity Map(ClaimsIdentity identity)
    {
        var mapped = new ClaimsIdentity(identity.AuthenticationType, PlatformClaims.Subject, PlatformClaims.Role);
        mapped.AddClaims(identity.Claims.Where(c => !Ours.Contains(c.Type)).Select(c => new Claim(c.Type, c.Value, c.ValueType, c.Issuer)));
        Add(mapped, identity, names.Subject, PlatformClaims.Subject, single: true);
        Add(mapped, identity, names.Tenant, PlatformClaims.Tenant, single: true);
        Add(mapped, identity, names.Roles, PlatformClaims.Role, single: false);
        Add(mapped, identity, names.Environments, PlatformClaims.Environment, single: false);
        return mapped;
    }

    private static void Add(ClaimsIdentity target, ClaimsIdentity source, string from, string to, bool single)
    {
        var values = Values(source, from).Distinct(StringComparer.Ordinal).ToList();
        // A subject or tenant that is not exactly one value is no subject or tenant: Actor.FromClaims then refuses the caller.
        if (single && values.Count != 1) return;
        target.AddClaims(values.Select(value => new Claim(to, value)));
    }

    /// <summary>The claim's string values: the claim of that exact name, else the dotted path into a JSON claim.</summary>
    internal static IEnumerable<string> Values(ClaimsIdentity identity, string name)
    {
        var exact = identity.FindAll(name).ToList();
        if (exact.Count > 0) return exact.SelectMany(c => Strings(c));
        for (var dot = name.IndexOf('.'); dot > 0; dot = name.IndexOf('.', dot + 1))
        {
            var claims = identity.FindAll(name[..dot]).Where(c => c.ValueType == JsonClaimValueTypes.Json).ToList();
            if (claims.Count == 0) continue;
            var path = name[(dot + 1)..].Split('.');
            return claims.SelectMany(c => Navigate(c.Value, path));
        }
        return [];
    }

    private static IEnumerable<string> Strings(Claim claim) =>
        claim.ValueType == JsonClaimValueTypes.JsonArray ? Navigate(claim.Value, []) : [claim.Value];

    private static List<string> Navigate(string json, string[] path)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var element = document.RootElement;
            foreach (var segment in path)
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(segment, out element)) return [];
            return element.ValueKind switch
            {
                JsonValueKind.String => [element.GetString()!],
                JsonValueKind.Array => element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList(),
                _ => [],
            };
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
