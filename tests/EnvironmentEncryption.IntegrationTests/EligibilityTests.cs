using System.Net;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Store;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>Who may use the tenant key, and what the store keeps (T2, T4, A1, E2), over HTTP.</summary>
[Collection(PlatformCollection.Name)]
public sealed class EligibilityTests(PlatformFixture platform)
{
    [Fact]
    [Trait("Rule", "T2")]
    public async Task Environments_created_before_the_feature_or_with_mixed_storage_cannot_use_the_tenant_key_T2()
    {
        var tenant = await platform.TenantAsync();
        await platform.FirstKeyAsync(tenant);
        var enabledAt = (await platform.FactsAsync(tenant))!.EnabledAt;
        var older = await platform.RegisterAsync(tenant, createdAt: enabledAt.AddDays(-3));
        var mixed = await platform.RegisterAsync(tenant, storage: EnvironmentStorage.Mixed);

        await platform.ApplyAsync(tenant, older).ShouldBeRefusedByAsync(Rules.T2, "before the tenant key feature was turned on");
        await platform.ApplyAsync(tenant, mixed).ShouldBeRefusedByAsync(Rules.T2, "storage: mixed");
    }

    [Fact]
    [Trait("Rule", "E2")]
    public async Task Applying_needs_an_active_key_and_the_risk_acknowledged_E2_A1()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);

        await platform.ApplyAsync(tenant, environment).ShouldBeRefusedByAsync(Rules.E2, "no Active key");
        await platform.FirstKeyAsync(tenant);
        await platform.ApplyAsync(tenant, environment, acknowledgeRisk: false).ShouldBeRefusedByAsync(Rules.A1);
        await platform.EnvironmentAdmin(tenant, "some-other-environment")
            .PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/encryption/apply", new { acknowledgeRisk = true })
            .ShouldBeRefusedByAsync(Rules.Authorization);
        (await platform.EnvironmentAdmin(tenant, environment)
            .PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/encryption/apply", new { acknowledgeRisk = true }))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    [Trait("Rule", "T4")]
    public async Task Files_and_images_are_kept_only_by_environments_of_version_9_2_21052_00103_or_later_T4()
    {
        var tenant = await platform.TenantAsync();
        var old = await platform.RegisterAsync(tenant, version: "9.2.21051.00999");
        var current = await platform.RegisterAsync(tenant, version: "9.2.21052.00103");

        await platform.WriteAsync(tenant, old, "photo", [1, 2, 3], RecordKind.Image).ShouldBeRefusedByAsync(Rules.T4, "9.2.21052.00103");
        await platform.WriteAsync(tenant, old, "contract", [1, 2, 3], RecordKind.File).ShouldBeRefusedByAsync(Rules.T4);
        (await platform.WriteAsync(tenant, old, "row", [1, 2, 3])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await platform.WriteAsync(tenant, current, "photo", [1, 2, 3], RecordKind.Image)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await platform.ReadAsync(tenant, current, "photo")).Content.ReadAsByteArrayAsync()).ShouldBe(new byte[] { 1, 2, 3 });
    }
}
