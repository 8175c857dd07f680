using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Backbone.Tests.Protection;

/// <summary>Abuse limits (ASP.NET Core rate limiting) on the key-material endpoints: per caller and per tenant, 429
/// ProblemDetails with rule RATE_LIMIT and Retry-After; other tenants and other endpoints are not affected. The test
/// hosts turn the limits off by default; this one turns them on.</summary>
[Trait("Rule", Rules.RateLimit)]
public sealed class AbuseLimitTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private const string Region = "europe";
    private readonly ServiceHost<KeyServiceApp> keys;
    private readonly string suffix = TestInfrastructure.UniqueSuffix();

    public AbuseLimitTests(TestBroker broker) => keys = new ServiceHost<KeyServiceApp>(broker, "keys_limits", settings: new Dictionary<string, string?>
    {
        ["RateLimits:Enabled"] = "true",
        ["RateLimits:KeyMaterial:PerCaller"] = "2",
        ["RateLimits:KeyMaterial:PerTenant"] = "3",
        ["RateLimits:KeyMaterial:Window"] = "01:00:00",
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await keys.DisposeAsync();

    private HttpClient Caller(string subject, string tenant)
    {
        var client = keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokens.Mint(keys.Jwt, subject, tenant, [PlatformRoles.PowerPlatformAdmin]));
        return client;
    }

    private async Task<string> EnabledTenantAsync(string name)
    {
        var tenant = $"{name}-{suffix}";
        (await keys.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 2000, enterpriseLicences = 0 }))
            .EnsureSuccessStatusCode();
        return tenant;
    }

    private static Task<HttpResponseMessage> GenerateAsync(HttpClient client, string tenant, string name) =>
        client.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/generate",
            new { name, password = "Correct-Horse-9", confirmPassword = "Correct-Horse-9", acknowledgeRisk = true });

    private async Task<int> KeyCountAsync(string tenant)
    {
        var inventory = await Caller("reader", tenant).GetFromJsonAsync<JsonElement>($"/v1/tenants/{tenant}/regions/{Region}/keys");
        return inventory.GetProperty("keys").GetArrayLength();
    }

    [Fact]
    public async Task A_caller_over_its_limit_gets_429_with_Retry_After_and_nothing_is_generated_while_another_tenant_is_not_affected()
    {
        var tenant = await EnabledTenantAsync("limited");
        var other = await EnabledTenantAsync("neighbour");
        using var admin = Caller("admin-1", tenant);

        (await GenerateAsync(admin, tenant, "first")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GenerateAsync(admin, tenant, "second")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await GenerateAsync(admin, tenant, "third");

        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        var retryAfter = refused.Headers.RetryAfter?.Delta ?? throw new ShouldAssertException("no Retry-After header");
        retryAfter.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var problem = await refused.Content.ReadFromJsonAsync<ProblemBody>();
        problem!.Rule.ShouldBe(Rules.RateLimit);
        problem.Status.ShouldBe(429);
        (await KeyCountAsync(tenant)).ShouldBe(2);

        (await GenerateAsync(Caller("admin-1", other), other, "theirs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await KeyCountAsync(other)).ShouldBe(1);
    }

    [Fact]
    public async Task The_callers_of_one_tenant_together_are_limited_per_tenant()
    {
        var tenant = await EnabledTenantAsync("crowded");

        var statuses = new List<HttpStatusCode>();
        foreach (var subject in new[] { "admin-a", "admin-b", "admin-c", "admin-d" })
            statuses.Add((await Caller(subject, tenant).PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/generate", new { })).StatusCode);

        statuses.Take(3).ShouldAllBe(s => s != HttpStatusCode.TooManyRequests);
        statuses[3].ShouldBe(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Endpoints_without_an_abuse_limit_are_not_limited()
    {
        var tenant = await EnabledTenantAsync("reader");
        using var admin = Caller("admin-1", tenant);
        for (var i = 0; i < 6; i++)
            (await admin.GetAsync($"/v1/tenants/{tenant}/enablement")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
