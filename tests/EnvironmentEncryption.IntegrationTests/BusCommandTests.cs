using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>The same commands over RabbitMQ, from other platform services (S2): the principal travels in headers
/// and is checked as a token would be; refusals are published with their rule.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BusCommandTests(PlatformFixture platform)
{
    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_platform_service_registers_and_an_admin_applies_over_RabbitMQ_and_refusals_are_published_S2_A1()
    {
        var tenant = await platform.TenantAsync();
        await platform.FirstKeyAsync(tenant);
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        var admin = PlatformFixture.TenantAdmin(tenant);
        await using var refused = await BusProbe<CommandRefused>.StartAsync(platform.Bus);
        await using var changes = await BusProbe<EnvironmentEncryptionChanged>.StartAsync(platform.Bus);

        await platform.SendAsync(new RegisterEnvironment(tenant, PlatformFixture.Region, environment, "From the bus", EnvironmentType.Sandbox,
            EnvironmentStorage.SingleStore, "9.2.24011.00200", platform.Clock.GetUtcNow().AddMinutes(1)), admin);
        (await refused.WaitForAsync(r => r.TenantId == tenant, "registration by a tenant admin to be refused")).Message.Rule
            .ShouldBe(Rules.Authorization);

        await platform.SendAsync(new RegisterEnvironment(tenant, PlatformFixture.Region, environment, "From the bus", EnvironmentType.Sandbox,
            EnvironmentStorage.SingleStore, "9.2.24011.00200", platform.Clock.GetUtcNow().AddMinutes(1)),
            new Actor("provisioning", "*", new HashSet<string> { PlatformRoles.PlatformOperator }, new HashSet<string>()));
        var registered = (await changes.WaitForAsync(c => c.EnvironmentId == environment, "the registration to be published")).Message;
        registered.Region.ShouldBe("europe");
        registered.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        registered.State.ShouldBe("Active");

        var withoutRisk = await platform.SendAsync(new ApplyTenantKeyToEnvironment(tenant, environment, AcknowledgeRisk: false), admin);
        (await refused.WaitForAsync(r => r.CommandId == withoutRisk, "the apply without acknowledgement to be refused")).Message.Rule
            .ShouldBe(Rules.A1);

        await platform.SendAsync(new ApplyTenantKeyToEnvironment(tenant, environment, AcknowledgeRisk: true), admin);
        await changes.WaitForAsync(c => c.EnvironmentId == environment && c.State == "Active" && c.Protection == EnvironmentProtection.TenantKey,
            "the environment under the tenant key to be published");
        (await platform.StatusAsync(tenant, environment)).State.ShouldBe(EnvironmentState.Active);
    }
}
