using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>Configuration section <c>Auth</c>: who issues our tokens and how their signatures are checked. With
/// <see cref="Authority"/> or <see cref="MetadataAddress"/> the signing keys come from the identity provider's
/// OpenID Connect discovery document and JWKS (<see cref="DiscoveryAlgorithms"/> only); without either, tokens are
/// HS256 with <see cref="SigningKey"/> (the public development key only in Development and Testing).</summary>
public sealed class JwtOptions
{
    public const string Section = "Auth";

    /// <summary>Known to everyone who reads this repository: accepted only outside Production.</summary>
    public const string DevelopmentSigningKey = "keyplatform-development-signing-key-not-for-production-use";

    /// <summary>The signature algorithms accepted from an identity provider's keys; nothing else (no HS*, no none).</summary>
    public static readonly IReadOnlyList<string> DiscoveryAlgorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256];

    /// <summary>The HS256 tokens' issuer (with discovery the issuer is the provider's, from its discovery document).</summary>
    public string Issuer { get; set; } = "keyplatform-dev";

    public string Audience { get; set; } = "keyplatform";
    public string SigningKey { get; set; } = DevelopmentSigningKey;

    /// <summary>The identity provider's issuer URL; its discovery document is at <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string? Authority { get; set; }

    /// <summary>The discovery document's URL, when it is not under <see cref="Authority"/>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Discovery and JWKS only over HTTPS; plain HTTP only in Development and Testing (a provider on loopback).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>How often the discovery document and JWKS are fetched again (the library's default: 12 hours).</summary>
    public TimeSpan? AutomaticRefreshInterval { get; set; }

    /// <summary>The least time between two fetches forced by a token signed with an unknown key (library default: 5
    /// minutes, at least 1 second): how a rotated-in key is picked up without a restart.</summary>
    public TimeSpan? RefreshInterval { get; set; }

    /// <summary>Which claims of the provider's tokens carry subject, tenant, roles and environments.</summary>
    public PlatformClaimNames Claims { get; set; } = new();

    public bool UsesDiscovery => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(MetadataAddress);

    public bool UsesDevelopmentKey => !UsesDiscovery && SigningKey == DevelopmentSigningKey;

    public SymmetricSecurityKey SecurityKey() => new(Encoding.UTF8.GetBytes(SigningKey));
}

/// <summary>Configuration section <c>Auth:Claims</c>: the claim of the identity provider's tokens that carries each part
/// of a caller. The defaults are our own tokens' (and Entra ID's <c>tid</c> and <c>roles</c>). A dotted name is a path into
/// a JSON claim when no claim has that exact name: Keycloak's realm roles are <c>realm_access.roles</c>.</summary>
public sealed class PlatformClaimNames
{
    public string Subject { get; set; } = PlatformClaims.Subject;
    public string Tenant { get; set; } = PlatformClaims.Tenant;
    public string Roles { get; set; } = PlatformClaims.Role;
    public string Environments { get; set; } = PlatformClaims.Environment;
}
