using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.Testing.Identity;

/// <summary>An OpenID provider of our own, in the test process, on loopback over plain HTTP (Kestrel): a discovery
/// document, a JWKS whose keys the test adds, rotates and removes while the services run, and a token endpoint for
/// the client-credentials and device code grants (<see cref="Devices"/>). It signs whatever the test asks, including the
/// tokens that must be refused.</summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly List<ProviderKey> published = [];
    private readonly ConcurrentDictionary<string, (string Secret, IReadOnlyDictionary<string, object> Claims)> clients = new();
    private int jwksFetches;
    private int tokensIssued;

    private TestIdentityProvider(WebApplication app) => this.app = app;

    /// <summary>Device sign-ins (RFC 8628) the test approves or denies as the person at the browser.</summary>
    public DeviceSignIns Devices { get; } = new();

    /// <summary>The issuer, and the <c>Auth:Authority</c> of the services (no trailing slash).</summary>
    public string Issuer { get; private set; } = "";

    public string Audience { get; init; } = "keyplatform";

    /// <summary>How often the services fetched the JWKS: a rotation picked up shows here.</summary>
    public int JwksFetches => Volatile.Read(ref jwksFetches);

    /// <summary>How many tokens the token endpoint issued.</summary>
    public int TokensIssued => Volatile.Read(ref tokensIssued);

    /// <summary>The key the provider signs with unless told otherwise (the newest published).</summary>
    public ProviderKey Current { get { lock (published) return published[^1]; } }

    public static async Task<TestIdentityProvider> StartAsync(string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var provider = new TestIdentityProvider(app);
        provider.AddKey(algorithm);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = provider.Issuer,
            ["jwks_uri"] = $"{provider.Issuer}/jwks",
            ["token_endpoint"] = $"{provider.Issuer}/token",
            ["device_authorization_endpoint"] = $"{provider.Issuer}/device",
            ["grant_types_supported"] = new[] { "client_credentials", "urn:ietf:params:oauth:grant-type:device_code" },
            ["id_token_signing_alg_values_supported"] = JwtAlgorithms,
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
        }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref provider.jwksFetches);
            lock (provider.published) return Results.Json(new { keys = provider.published.Select(k => k.Jwk()).ToList() });
        });
        app.MapPost("/token", (Delegate)provider.IssueTokenAsync);
        app.MapPost("/device", (Delegate)provider.AuthorizeDeviceAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        provider.Issuer = address.TrimEnd('/');
        return provider;
    }

    private static readonly string[] JwtAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256];

    /// <summary>The settings that point a service host at this provider.</summary>
    public Dictionary<string, string?> ServiceSettings() => new()
    {
        ["Auth:Authority"] = Issuer,
        ["Auth:Audience"] = Audience,
        ["Auth:RequireHttpsMetadata"] = "false",
        ["Auth:RefreshInterval"] = "00:00:01",
    };

    /// <summary>Publishes a new signing key (RS*/PS*: RSA-2048; ES256: P-256) and makes it <see cref="Current"/>.</summary>
    public ProviderKey AddKey(string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var key = ProviderKey.Create(algorithm);
        lock (published) published.Add(key);
        return key;
    }

    /// <summary>Rotation: a new key is published and every older one is removed from the JWKS.</summary>
    public ProviderKey Rotate(string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var key = ProviderKey.Create(algorithm);
        lock (published)
        {
            published.Clear();
            published.Add(key);
        }
        return key;
    }

    /// <summary>A token with these claims, signed by <paramref name="key"/> (default <see cref="Current"/>), valid now
    /// for an hour unless <paramref name="notBefore"/>/<paramref name="expires"/> say otherwise.</summary>
    public string Mint(IReadOnlyDictionary<string, object> claims, ProviderKey? key = null, string? issuer = null, string? audience = null,
        DateTimeOffset? notBefore = null, DateTimeOffset? expires = null)
    {
        var now = DateTimeOffset.UtcNow;
        var signing = key ?? Current;
        var from = notBefore ?? now.AddMinutes(-1);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            Claims = new Dictionary<string, object>(claims),
            IssuedAt = (from < now ? from : now).UtcDateTime,
            NotBefore = from.UtcDateTime,
            Expires = (expires ?? now.AddHours(1)).UtcDateTime,
            SigningCredentials = signing.Credentials,
        });
    }

    /// <summary>Our usual claims: sub, tid, roles.</summary>
    public string MintFor(string subject, string tenantId, params string[] roles) =>
        Mint(new Dictionary<string, object> { ["sub"] = subject, ["tid"] = tenantId, ["roles"] = roles });

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    public string MintUnsigned(IReadOnlyDictionary<string, object> claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(claims)
        {
            ["iss"] = Issuer, ["aud"] = Audience, ["iat"] = now - 60, ["nbf"] = now - 60, ["exp"] = now + 3600,
        };
        return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload))}.";
    }

    /// <summary>A confidential client for the client-credentials grant; its tokens carry <paramref name="claims"/>.</summary>
    public void RegisterClient(string clientId, string secret, IReadOnlyDictionary<string, object> claims) =>
        clients[clientId] = (secret, claims);

    private async Task<IResult> IssueTokenAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        var (id, secret) = ClientOf(http.Request, form);
        if (form["grant_type"] == DeviceSignIns.GrantType) return DeviceToken(id, form["device_code"].FirstOrDefault());
        if (form["grant_type"] != "client_credentials")
            return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
        if (id is null || !clients.TryGetValue(id, out var client) || client.Secret != secret)
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        var claims = new Dictionary<string, object>(client.Claims) { ["client_id"] = id };
        claims.TryAdd("sub", id);
        Interlocked.Increment(ref tokensIssued);
        return Results.Json(new { access_token = Mint(claims), token_type = "Bearer", expires_in = 3600 });
    }

    private IResult DeviceToken(string? clientId, string? deviceCode)
    {
        var (error, claims) = Devices.Poll(clientId, deviceCode);
        if (error is not null) return Results.Json(new { error }, statusCode: 400);
        var withClient = new Dictionary<string, object>(claims!) { ["client_id"] = clientId! };
        Interlocked.Increment(ref tokensIssued);
        return Results.Json(new { access_token = Mint(withClient), token_type = "Bearer", expires_in = 3600 });
    }

    private async Task<IResult> AuthorizeDeviceAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        return Devices.Authorize(ClientOf(http.Request, form).Id, $"{Issuer}/activate") is { } authorization
            ? Results.Json(authorization)
            : Results.Json(new { error = "invalid_client" }, statusCode: 401);
    }

    private static (string? Id, string? Secret) ClientOf(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null);
        }
        return (form["client_id"].FirstOrDefault(), form["client_secret"].FirstOrDefault());
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>A signing key of the provider: its credentials, and its public half as a JWK.</summary>
public sealed class ProviderKey
{
    private readonly Func<Dictionary<string, object>> jwk;

    private ProviderKey(SigningCredentials credentials, Func<Dictionary<string, object>> jwk)
    {
        Credentials = credentials;
        this.jwk = jwk;
    }

    public SigningCredentials Credentials { get; }
    public string KeyId => Credentials.Key.KeyId;

    public Dictionary<string, object> Jwk() => jwk();

    /// <summary>The same key material signing with another algorithm (one the services must refuse).</summary>
    public ProviderKey WithAlgorithm(string algorithm) => new(new SigningCredentials(Credentials.Key, algorithm), jwk);

    /// <summary>A key that no JWKS publishes (a forger's), or one with the published key's id but other key material.</summary>
    public static ProviderKey Create(string algorithm, string? keyId = null)
    {
        var kid = keyId ?? Guid.NewGuid().ToString("N")[..12];
        if (algorithm.StartsWith("ES", StringComparison.Ordinal))
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var p = ec.ExportParameters(false);
            return new ProviderKey(new SigningCredentials(new ECDsaSecurityKey(ec) { KeyId = kid }, algorithm), () => new()
            {
                ["kty"] = "EC", ["use"] = "sig", ["kid"] = kid, ["alg"] = algorithm, ["crv"] = "P-256",
                ["x"] = Base64UrlEncoder.Encode(p.Q.X!), ["y"] = Base64UrlEncoder.Encode(p.Q.Y!),
            });
        }
        var rsa = RSA.Create(2048);
        var r = rsa.ExportParameters(false);
        return new ProviderKey(new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = kid }, algorithm), () => new()
        {
            ["kty"] = "RSA", ["use"] = "sig", ["kid"] = kid, ["alg"] = algorithm,
            ["n"] = Base64UrlEncoder.Encode(r.Modulus!), ["e"] = Base64UrlEncoder.Encode(r.Exponent!),
        });
    }
}
