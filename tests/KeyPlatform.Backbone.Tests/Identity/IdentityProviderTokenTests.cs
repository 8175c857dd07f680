using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Testing.Identity;
using Microsoft.IdentityModel.Tokens;

namespace KeyPlatform.Backbone.Tests.Identity;

/// <summary>Tokens from a real identity provider (OpenID Connect discovery and JWKS): what each service accepts and
/// what it refuses with 401 (SPEC actors; ARCHITECTURE trust boundaries: the HS256 key only in Development).</summary>
[Trait("Rule", "AUTHN")]
public sealed class IdentityProviderTokenTests(IdentityProviderHosts hosts) : IClassFixture<IdentityProviderHosts>
{
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

    public static TheoryData<string> ServiceNames => new() { "KeyService", "EnvironmentEncryption", "TenantLock" };

    public static TheoryData<string, string> RefusedTokens()
    {
        var data = new TheoryData<string, string>();
        foreach (var service in new[] { "KeyService", "EnvironmentEncryption", "TenantLock" })
        foreach (var kind in new[] { "expired", "not-yet-valid", "wrong-audience", "wrong-issuer", "alg-none", "unknown-key",
                     "published-key-id-other-key", "RS512", "HS256-development-key" })
            data.Add(service, kind);
        return data;
    }

    private Dictionary<string, object> Admin => new() { ["sub"] = "admin-1", ["tid"] = tenant, ["roles"] = new[] { PlatformRoles.PowerPlatformAdmin } };

    private string Refused(string kind)
    {
        var provider = hosts.Provider;
        var now = DateTimeOffset.UtcNow;
        return kind switch
        {
            "expired" => provider.Mint(Admin, notBefore: now.AddHours(-2), expires: now.AddMinutes(-5)),
            "not-yet-valid" => provider.Mint(Admin, notBefore: now.AddMinutes(10), expires: now.AddHours(1)),
            "wrong-audience" => provider.Mint(Admin, audience: "some-other-api"),
            "wrong-issuer" => provider.Mint(Admin, issuer: "https://login.example.invalid/other"),
            "alg-none" => provider.MintUnsigned(Admin),
            "unknown-key" => provider.Mint(Admin, key: ProviderKey.Create(SecurityAlgorithms.RsaSha256)),
            "published-key-id-other-key" => provider.Mint(Admin, key: ProviderKey.Create(SecurityAlgorithms.RsaSha256, hosts.Rs256.KeyId)),
            "RS512" => provider.Mint(Admin, key: hosts.Rs256.WithAlgorithm(SecurityAlgorithms.RsaSha512)),
            "HS256-development-key" => DevTokens.Mint(new JwtOptions { Issuer = provider.Issuer, Audience = provider.Audience },
                "admin-1", tenant, [PlatformRoles.PowerPlatformAdmin]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private async Task<HttpStatusCode> CallAsync(string service, string token)
    {
        var (client, path) = hosts.Services[service];
        using var http = client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await http.GetAsync(path(tenant))).StatusCode;
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_token_the_provider_did_not_validly_issue_for_us_is_refused_401(string service, string kind) =>
        (await CallAsync(service, Refused(kind))).ShouldBe(HttpStatusCode.Unauthorized, $"{kind} token on {service}");

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task Tokens_signed_with_the_providers_RS256_PS256_and_ES256_keys_are_accepted(string service)
    {
        foreach (var key in new[] { hosts.Rs256, hosts.Ps256, hosts.Es256 })
            (await CallAsync(service, hosts.Provider.Mint(Admin, key: key))).ShouldBeOneOf([HttpStatusCode.OK, HttpStatusCode.NotFound],
                $"{key.Credentials.Algorithm} token on {service}");
    }

    [Fact]
    public async Task An_Entra_ID_shaped_token_maps_tid_and_roles_to_the_caller()
    {
        var entra = new Dictionary<string, object>
        {
            ["sub"] = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", ["oid"] = Guid.NewGuid().ToString(), ["tid"] = tenant,
            ["azp"] = Guid.NewGuid().ToString(), ["ver"] = "2.0", ["roles"] = new[] { PlatformRoles.PlatformOperator },
        };
        using var client = hosts.Keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hosts.Provider.Mint(entra));

        // PlatformOperator of this tenant (its tid) may enable it; of another tenant it may not.
        (await client.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 2000, enterpriseLicences = 0 }))
            .IsSuccessStatusCode.ShouldBeTrue();
        (await client.PutAsJsonAsync($"/v1/tenants/other-{tenant}/enablement", new { appPerUserLicences = 2000, enterpriseLicences = 0 }))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        entra["roles"] = new[] { PlatformRoles.PowerPlatformAdmin };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hosts.Provider.Mint(entra));
        (await client.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 2000, enterpriseLicences = 0 }))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.GetAsync($"/v1/tenants/{tenant}/enablement")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
