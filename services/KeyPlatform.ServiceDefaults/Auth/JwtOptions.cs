using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>Configuration section <c>Auth</c>: who issues our tokens and the key that signs them (HS256).</summary>
public sealed class JwtOptions
{
    public const string Section = "Auth";

    /// <summary>Known to everyone who reads this repository: accepted only outside Production.</summary>
    public const string DevelopmentSigningKey = "keyplatform-development-signing-key-not-for-production-use";

    public string Issuer { get; set; } = "keyplatform-dev";
    public string Audience { get; set; } = "keyplatform";
    public string SigningKey { get; set; } = DevelopmentSigningKey;

    public bool UsesDevelopmentKey => SigningKey == DevelopmentSigningKey;

    public SymmetricSecurityKey SecurityKey() => new(Encoding.UTF8.GetBytes(SigningKey));
}
