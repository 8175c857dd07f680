using System.Net;
using System.Net.Http.Json;
using KeyPlatform.Contracts;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.Testing;
using KeyPlatform.TenantLock.Tenants;
using KeyServiceApp = KeyPlatform.KeyService.Program;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace KeyPlatform.Backbone.Tests;

/// <summary>One command flowing through the three services over real RabbitMQ: KeyService commits, its relay
/// publishes, EnvironmentEncryption and TenantLock apply it.</summary>
public sealed class CrossServiceTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private readonly TestBroker broker;
    private readonly ServiceHost<KeyServiceApp> keys;
    private readonly ServiceHost<EnvironmentEncryptionApp> environments;
    private readonly ServiceHost<TenantLockApp> locks;

    public CrossServiceTests(TestBroker broker)
    {
        this.broker = broker;
        keys = new ServiceHost<KeyServiceApp>(broker, "keys");
        environments = new ServiceHost<EnvironmentEncryptionApp>(broker, "environments");
        locks = new ServiceHost<TenantLockApp>(broker, "tenant_lock");
    }

    public Task InitializeAsync()
    {
        // Creating the clients starts the hosts: the consumers' queues exist before anything is published.
        _ = environments.CreateClient();
        _ = locks.CreateClient();
        _ = keys.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        await environments.DisposeAsync();
        await locks.DisposeAsync();
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task Tenant_enabled_in_KeyService_reaches_EnvironmentEncryption_and_TenantLock_over_RabbitMQ()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

        var response = await keys.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement",
            new { appPerUserLicences = 600, enterpriseLicences = 401 });
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var facts = await Eventually.GetAsync(async () =>
        {
            var r = await environments.OperatorClient().GetAsync($"/v1/tenants/{tenant}/facts");
            return r.IsSuccessStatusCode ? await r.Content.ReadFromJsonAsync<TenantFacts>() : null;
        }, "EnvironmentEncryption to learn the tenant is enabled");
        facts.TenantId.ShouldBe(tenant);
        facts.EnabledAt.ShouldBe(keys.Clock.GetUtcNow());

        var status = await Eventually.GetAsync(async () =>
        {
            var r = await locks.OperatorClient().GetAsync($"/v1/tenants/{tenant}/lock-status");
            return r.IsSuccessStatusCode ? await r.Content.ReadFromJsonAsync<TenantLockStatus>() : null;
        }, "TenantLock to learn the tenant is enabled");
        status.FeatureEnabledAt.ShouldBe(facts.EnabledAt);
    }

    [Fact]
    [Trait("Rule", "T1")]
    public async Task Enabling_with_1000_licences_is_refused_with_the_count_T1()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

        var response = await keys.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement",
            new { appPerUserLicences = 999, enterpriseLicences = 1 });

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = await response.Content.ReadFromJsonAsync<ProblemBody>();
        problem!.Rule.ShouldBe(Rules.T1);
        problem.Detail!.ShouldContain("1000 qualifying licences");
    }
}

public sealed record ProblemBody(string? Type, string? Title, int Status, string? Detail, string? Rule, DateTimeOffset? AllowedAt);
