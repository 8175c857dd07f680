using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Protection;
using KeyPlatform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Backbone.Tests.Protection;

/// <summary>Key material only over TLS in Production: the endpoints that take a .pfx and its password or return a
/// generated .pfx refuse plain HTTP (403, rule TLS_REQUIRED) unless a configured proxy says the request was HTTPS.</summary>
[Trait("Rule", Rules.TlsRequired)]
public sealed class KeyMaterialTlsTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private const string Region = "europe", TrustedProxy = "10.0.0.5", RemoteAddressHeader = "X-Test-Remote-Address";
    private readonly ServiceHost<KeyServiceApp> keys;
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

    public KeyMaterialTlsTests(TestBroker broker) => keys = new ServiceHost<KeyServiceApp>(broker, "keys_tls",
        settings: new Dictionary<string, string?>
        {
            ["Tls:RequireForKeyMaterial"] = "true",
            ["ForwardedHeaders:KnownProxies:0"] = TrustedProxy,
        },
        configureServices: services => services.AddSingleton<IStartupFilter, RemoteAddressFromHeader>());

    public async Task InitializeAsync() =>
        (await keys.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 2000, enterpriseLicences = 0 }))
        .EnsureSuccessStatusCode();

    public async Task DisposeAsync() => await keys.DisposeAsync();

    private HttpClient Admin(string scheme, string? remoteAddress = null, string? forwardedProto = null)
    {
        var client = keys.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri($"{scheme}://localhost") });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokens.Mint(keys.Jwt, "admin-1", tenant, [PlatformRoles.PowerPlatformAdmin]));
        if (remoteAddress is not null) client.DefaultRequestHeaders.Add(RemoteAddressHeader, remoteAddress);
        if (forwardedProto is not null) client.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
        return client;
    }

    private async Task<HttpResponseMessage> GenerateAsync(HttpClient client, string name) =>
        await client.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/generate",
            new { name, password = "Correct-Horse-9", confirmPassword = "Correct-Horse-9", acknowledgeRisk = true });

    private async Task<string> InventoryAsync() => await Admin("https").GetStringAsync($"/v1/tenants/{tenant}/keys");

    [Fact]
    public async Task Generating_a_key_over_plain_HTTP_is_refused_403_TLS_REQUIRED_and_nothing_is_generated()
    {
        var response = await GenerateAsync(Admin("http", remoteAddress: "10.9.9.9"), "over-http");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadFromJsonAsync<ProblemBody>())!.Rule.ShouldBe(Rules.TlsRequired);
        (await InventoryAsync()).ShouldNotContain("over-http");
    }

    [Fact]
    public async Task Uploading_a_key_over_plain_HTTP_is_refused_before_the_form_is_read()
    {
        using var form = new MultipartFormDataContent { { new StringContent("over-http"), "name" }, { new StringContent("secret"), "password" } };
        var response = await Admin("http", remoteAddress: "10.9.9.9").PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys", form);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadFromJsonAsync<ProblemBody>())!.Rule.ShouldBe(Rules.TlsRequired);
    }

    [Fact]
    public async Task Over_HTTPS_the_key_is_generated() =>
        (await GenerateAsync(Admin("https", remoteAddress: "10.9.9.9"), "over-https")).StatusCode.ShouldBe(HttpStatusCode.OK);

    [Fact]
    public async Task Behind_the_configured_proxy_that_says_the_request_was_HTTPS_the_key_is_generated() =>
        (await GenerateAsync(Admin("http", TrustedProxy, forwardedProto: "https"), "behind-proxy")).StatusCode.ShouldBe(HttpStatusCode.OK);

    [Fact]
    public async Task A_forwarded_proto_from_an_address_that_is_not_a_configured_proxy_is_not_believed()
    {
        var response = await GenerateAsync(Admin("http", "10.9.9.9", forwardedProto: "https"), "forged-proxy");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await InventoryAsync()).ShouldNotContain("forged-proxy");
    }

    [Fact]
    public async Task Endpoints_without_key_material_answer_over_plain_HTTP() =>
        (await Admin("http", remoteAddress: "10.9.9.9").GetAsync($"/v1/tenants/{tenant}/enablement")).StatusCode.ShouldBe(HttpStatusCode.OK);

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Staging", false)]
    [InlineData("Development", false)]
    [InlineData("Testing", false)]
    public void TLS_for_key_material_is_required_by_default_in_Production(string environment, bool required) =>
        KeyMaterialTransportOptions.From(new ConfigurationBuilder().Build(), new HostingEnvironment { EnvironmentName = environment })
            .RequireTls.ShouldBe(required);

    /// <summary>TestServer has no remote address: the test says which one a request comes from.</summary>
    private sealed class RemoteAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                if (http.Request.Headers[RemoteAddressHeader].FirstOrDefault() is { } address)
                    http.Connection.RemoteIpAddress = IPAddress.Parse(address);
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}
