using System.Net;
using System.Net.Http.Json;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Backbone.Tests;

/// <summary>Every edge is authenticated: HTTP by JWT, the bus by the broker-proven sender and the token of the
/// principal it acts for, both checked the same way.</summary>
public sealed class AuthTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private readonly TestBroker broker;
    private readonly ServiceHost<KeyServiceApp> keys;
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

    public AuthTests(TestBroker broker)
    {
        this.broker = broker;
        keys = new ServiceHost<KeyServiceApp>(broker, "keys_auth");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await keys.DisposeAsync();

    private static object Licences => new { appPerUserLicences = 2000, enterpriseLicences = 0 };

    [Fact]
    public async Task A_call_without_a_token_is_refused_401()
    {
        var response = await keys.CreateClient().GetAsync($"/v1/tenants/{tenant}/enablement");
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused_401()
    {
        var client = keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            DevTokens.Mint(new JwtOptions { SigningKey = new string('x', 64) }, "mallory", tenant, [PlatformRoles.PlatformOperator]));
        (await client.GetAsync($"/v1/tenants/{tenant}/enablement")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_tenant_admin_may_not_do_an_operator_task_403()
    {
        var response = await keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin)
            .PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", Licences);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadFromJsonAsync<ProblemBody>())!.Rule.ShouldBe(Rules.Authorization);
    }

    [Fact]
    public async Task A_caller_may_not_read_another_tenant_403()
    {
        var response = await keys.ClientFor("some-other-tenant", PlatformRoles.PowerPlatformAdmin)
            .GetAsync($"/v1/tenants/{tenant}/enablement");
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Health_and_the_OpenAPI_document_need_no_token()
    {
        var client = keys.CreateClient();
        (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/openapi/v1.json")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task A_command_over_the_bus_without_a_token_of_its_principal_is_refused_with_a_refusal_event_X2()
    {
        _ = keys.CreateClient();
        await using var platform = await TestBus.StartAsync(broker, Sender.PlatformService);
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(keys.Services.GetRequiredService<IBus>());

        // Principal headers alone prove nothing: only a token does.
        var operatorHeaders = new Actor("service:licensing", "*", new HashSet<string> { PlatformRoles.PlatformOperator }, new HashSet<string>());
        var commandId = await platform.SendAsServiceAsync(Queues.KeyService, new EnableTenantEncryption(tenant, 5000, 0), operatorHeaders);

        var refused = await refusals.WaitForAsync(r => r.CommandId == commandId, "the refusal event");
        refused.Message.Rule.ShouldBe(Rules.Authorization);
        refused.Message.Command.ShouldBe(nameof(EnableTenantEncryption));
        refused.Message.Reason.ShouldContain("no access token");
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_platform_service_sending_the_command_over_the_bus_gets_the_same_result_as_over_HTTP_T1()
    {
        _ = keys.CreateClient();
        var bus = keys.Services.GetRequiredService<IBus>();
        await using var platform = await TestBus.StartAsync(broker, Sender.PlatformService);
        await using var enabled = await BusProbe<TenantEncryptionEnabled>.StartAsync(bus);
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(bus);
        var token = DevTokens.Mint(keys.Jwt, "service:licensing", "*", [PlatformRoles.PlatformOperator]);

        var tooFew = await platform.SendAsync(Queues.KeyService, new EnableTenantEncryption(tenant, 500, 500), token);
        var refused = await refusals.WaitForAsync(r => r.CommandId == tooFew, "the T1 refusal");
        refused.Message.Rule.ShouldBe(Rules.T1);
        refused.Message.Reason.ShouldContain("1000 qualifying licences");

        // Only after the refusal: two commands on one queue may be handled concurrently, and once the tenant is
        // enabled a second enablement changes nothing instead of being refused.
        await platform.SendAsync(Queues.KeyService, new EnableTenantEncryption(tenant, 1001, 0), token);
        var published = await enabled.WaitForAsync(e => e.TenantId == tenant, "the enablement event");
        published.Message.QualifyingLicences.ShouldBe(1001);
    }
}
