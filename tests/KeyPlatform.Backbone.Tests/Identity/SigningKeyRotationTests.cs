using System.Net;
using System.Net.Http.Headers;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using KeyPlatform.Testing.Identity;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Backbone.Tests.Identity;

/// <summary>The provider rotates its signing key while the service runs: the new key is trusted without a restart,
/// the removed one no longer is; over HTTP and over the bus alike (X2: both paths trust the same issuer).</summary>
public sealed class SigningKeyRotationTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private readonly TestBroker broker;
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
    private TestIdentityProvider provider = null!;
    private ServiceHost<KeyServiceApp> keys = null!;

    public SigningKeyRotationTests(TestBroker broker) => this.broker = broker;

    public async Task InitializeAsync()
    {
        provider = await TestIdentityProvider.StartAsync();
        keys = new ServiceHost<KeyServiceApp>(broker, "keys_rotation", settings: provider.ServiceSettings());
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        await provider.DisposeAsync();
    }

    private async Task<HttpStatusCode> ReadAsync(string token)
    {
        using var client = keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync($"/v1/tenants/{tenant}/enablement")).StatusCode;
    }

    private string AdminToken(ProviderKey? key = null) => provider.Mint(new Dictionary<string, object>
        { ["sub"] = "admin-1", ["tid"] = tenant, ["roles"] = new[] { PlatformRoles.PowerPlatformAdmin } }, key);

    [Fact]
    public async Task After_the_provider_rotates_its_key_tokens_of_the_new_key_are_accepted_and_of_the_removed_key_refused_401()
    {
        var old = provider.Current;
        (await ReadAsync(AdminToken(old))).ShouldBe(HttpStatusCode.NotFound);
        var fetchesBefore = provider.JwksFetches;

        var rotated = provider.Rotate(SecurityAlgorithms.EcdsaSha256);

        // A token naming a key the service does not know makes it fetch the JWKS again (in the background, at most
        // once per Auth:RefreshInterval), without a restart: from then on the new key is trusted.
        await Eventually.TrueAsync(async () => await ReadAsync(AdminToken(rotated)) == HttpStatusCode.NotFound,
            "a token of the rotated-in key to be accepted", TimeSpan.FromSeconds(15));
        provider.JwksFetches.ShouldBeGreaterThan(fetchesBefore);
        (await ReadAsync(AdminToken(old))).ShouldBe(HttpStatusCode.Unauthorized);
        (await ReadAsync(AdminToken(rotated))).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task A_command_over_the_bus_is_accepted_with_the_providers_token_and_refused_with_a_removed_key_or_the_development_key_X2()
    {
        _ = keys.CreateClient();
        var bus = keys.Services.GetRequiredService<IBus>();
        await using var platform = await TestBus.StartAsync(broker, Sender.PlatformService);
        await using var enabled = await BusProbe<TenantEncryptionEnabled>.StartAsync(bus);
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(bus);
        Dictionary<string, object> licensing = new() { ["sub"] = "service:licensing", ["tid"] = "*", ["roles"] = new[] { PlatformRoles.PlatformOperator } };

        var development = await platform.SendAsync(Queues.KeyService, new EnableTenantEncryption(tenant, 5000, 0),
            DevTokens.Mint(new JwtOptions { Issuer = provider.Issuer, Audience = provider.Audience }, "service:licensing", "*", [PlatformRoles.PlatformOperator]));
        (await refusals.WaitForAsync(r => r.CommandId == development, "the refusal of the HS256 token")).Message.Rule.ShouldBe(Rules.Authorization);

        var old = provider.Current;
        provider.Rotate();
        // The HTTP edge and the bus share the JwtBearer configuration manager: once either has seen the new key, both trust
        // it and neither trusts the removed one.
        await Eventually.TrueAsync(async () => await ReadAsync(AdminToken()) == HttpStatusCode.NotFound, "the rotated-in key to be trusted");
        var removed = await platform.SendAsync(Queues.KeyService, new EnableTenantEncryption(tenant, 5000, 0), provider.Mint(licensing, old));
        (await refusals.WaitForAsync(r => r.CommandId == removed, "the refusal of the removed key's token")).Message.Reason.ShouldContain("not valid");

        await platform.SendAsync(Queues.KeyService, new EnableTenantEncryption(tenant, 5000, 0), provider.Mint(licensing));
        (await enabled.WaitForAsync(e => e.TenantId == tenant, "the enablement")).Message.QualifyingLicences.ShouldBe(5000);
    }
}
