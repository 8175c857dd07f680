using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Testing.Identity;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Backbone.Tests.Identity;

/// <summary>Claim names are configuration: a Keycloak realm carries the tenant in a claim of its own and the roles in
/// <c>realm_access.roles</c>, a nested JSON claim reached by a dotted path.</summary>
public sealed class KeycloakClaimsTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private readonly TestBroker broker;
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
    private TestIdentityProvider provider = null!;
    private ServiceHost<KeyServiceApp> keys = null!;

    public KeycloakClaimsTests(TestBroker broker) => this.broker = broker;

    public async Task InitializeAsync()
    {
        provider = await TestIdentityProvider.StartAsync();
        var settings = provider.ServiceSettings();
        settings["Auth:Claims:Tenant"] = "tenant_id";
        settings["Auth:Claims:Roles"] = "realm_access.roles";
        settings["Auth:Claims:Subject"] = "preferred_username";
        keys = new ServiceHost<KeyServiceApp>(broker, "keys_keycloak", settings: settings);
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        await provider.DisposeAsync();
    }

    private HttpClient ClientWith(Dictionary<string, object> claims)
    {
        var client = keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", provider.Mint(claims));
        return client;
    }

    private static object Licences => new { appPerUserLicences = 2000, enterpriseLicences = 0 };

    [Fact]
    public async Task A_Keycloak_shaped_token_maps_its_tenant_claim_and_realm_roles_to_the_caller()
    {
        using var client = ClientWith(new Dictionary<string, object>
        {
            ["sub"] = Guid.NewGuid().ToString(), ["preferred_username"] = "operator-1", ["tenant_id"] = tenant,
            ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "offline_access", PlatformRoles.PlatformOperator } },
            ["resource_access"] = new Dictionary<string, object> { ["account"] = new Dictionary<string, object> { ["roles"] = new[] { "manage-account" } } },
        });

        (await client.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", Licences)).IsSuccessStatusCode.ShouldBeTrue();
        (await client.PutAsJsonAsync($"/v1/tenants/other-{tenant}/enablement", Licences)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Claims_under_our_default_names_grant_nothing_when_other_claims_are_configured()
    {
        // A top-level roles and tid claim, as our own tokens carry them, are not the configured claims: no tenant, no role.
        using var client = ClientWith(new Dictionary<string, object>
        {
            ["preferred_username"] = "mallory", ["tenant_id"] = tenant, ["tid"] = "*",
            ["roles"] = new[] { PlatformRoles.PlatformOperator },
            ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "offline_access" } },
        });

        (await client.PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", Licences)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.GetAsync($"/v1/tenants/other-{tenant}/enablement")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
