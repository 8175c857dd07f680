using System.Net;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Environments.Status;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;

namespace EnvironmentEncryption.IntegrationTests;

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}

/// <summary>The environment's whole encryption life on KeyService, PostgreSQL and RabbitMQ.</summary>
[Collection(PlatformCollection.Name)]
public sealed class EnvironmentLifecycleTests(PlatformFixture platform)
{
    [Fact]
    [Trait("Rule", "K8")]
    public async Task Records_written_under_the_platform_key_read_the_same_after_applying_the_tenant_key_and_activating_another_E1_E2_K8_D3()
    {
        var tenant = await platform.TenantAsync();
        var first = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);

        var registered = await platform.StatusAsync(tenant, environment);
        registered.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        registered.State.ShouldBe(EnvironmentState.Active);
        await platform.WriteOkAsync(tenant, environment, "account-1", "Contoso Ltd, 1 Main Street");
        await platform.WriteOkAsync(tenant, environment, "account-2", "Fabrikam, 2 High Road");

        var applied = await platform.ApplyAndWaitAsync(tenant, environment);
        applied.TenantKeyId.ShouldBe(first.KeyId);
        applied.KeyThumbprint.ShouldBe(first.File.Thumbprint);
        (await platform.ReadOkAsync(tenant, environment, "account-1")).ShouldBe("Contoso Ltd, 1 Main Street");

        var second = await platform.ActivateAnotherKeyAsync(tenant);
        var rewrapped = await platform.WaitForStatusAsync(tenant, environment, s => s.TenantKeyId == second.KeyId, "rewrapped under the second key");
        rewrapped.State.ShouldBe(EnvironmentState.Active);
        rewrapped.KeyThumbprint.ShouldBe(second.File.Thumbprint);

        (await platform.ReadOkAsync(tenant, environment, "account-1")).ShouldBe("Contoso Ltd, 1 Main Street");
        (await platform.ReadOkAsync(tenant, environment, "account-2")).ShouldBe("Fabrikam, 2 High Road");
        var released = await (await platform.ReleaseAsync(tenant, environment)).ReadAsync<ReleasedDataKey>();
        released.TenantKeyId.ShouldBe(second.KeyId);
        var page = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments")).ReadAsync<EnvironmentStatusPage>();
        page.Rewraps.ShouldContain(r => r.TargetKeyId == second.KeyId && r.Completed && r.Done == r.Total && r.Rewrapped == 1);
    }

    [Fact]
    [Trait("Rule", "D2")]
    public async Task While_Updating_the_environment_is_offline_no_data_key_is_released_and_the_store_refuses_E2_D2()
    {
        var tenant = await platform.TenantAsync();
        var key = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "r1", "before");
        await using var changes = await BusProbe<EnvironmentEncryptionChanged>.StartAsync(platform.Bus);

        using (platform.Vault.HoldWrapsUnder(key.Facts.VaultKeyId))
        {
            (await platform.ApplyAsync(tenant, environment)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
            var updating = await platform.StatusAsync(tenant, environment);
            updating.State.ShouldBe(EnvironmentState.Updating);
            updating.ApplyingTenantKeyId.ShouldBe(key.KeyId);

            await platform.ReleaseAsync(tenant, environment).ShouldBeRefusedByAsync(Rules.D2, "Updating");
            await platform.ReadAsync(tenant, environment, "r1").ShouldBeRefusedByAsync(Rules.D2);
            await platform.WriteAsync(tenant, environment, "r2", [1, 2, 3]).ShouldBeRefusedByAsync(Rules.D2);
            await changes.WaitForAsync(c => c.EnvironmentId == environment && c.State == "Updating", "Updating to be published");
        }

        await platform.WaitForStatusAsync(tenant, environment, s => s.State == EnvironmentState.Active, "Active");
        (await platform.ReadOkAsync(tenant, environment, "r1")).ShouldBe("before");
        var active = await changes.WaitForAsync(c => c.EnvironmentId == environment && c.State == "Active", "Active to be published");
        active.Message.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        active.Message.TenantKeyId.ShouldBe(key.KeyId);
        active.Message.TenantId.ShouldBe(tenant);
        active.Message.Region.ShouldBe(PlatformFixture.Region);
    }

    [Fact]
    [Trait("Rule", "E3")]
    public async Task A_production_environment_returns_to_the_platform_key_only_with_its_name_typed_and_stays_readable_E3_A1()
    {
        var tenant = await platform.TenantAsync();
        await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant, type: EnvironmentType.Production, name: "Contoso Production");
        await platform.WriteOkAsync(tenant, environment, "r1", "kept");
        await platform.ApplyAndWaitAsync(tenant, environment);
        var url = $"/v1/tenants/{tenant}/environments/{environment}/encryption/return";
        var admin = platform.EnvironmentAdmin(tenant, environment);

        await admin.PostJsonAsync(url, new { acknowledgeRisk = false, confirmationName = "Contoso Production" }).ShouldBeRefusedByAsync(Rules.A1);
        await admin.PostJsonAsync(url, new { acknowledgeRisk = true }).ShouldBeRefusedByAsync(Rules.E3, "type its name");
        await admin.PostJsonAsync(url, new { acknowledgeRisk = true, confirmationName = "contoso production" }).ShouldBeRefusedByAsync(Rules.E3);
        (await admin.PostJsonAsync(url, new { acknowledgeRisk = true, confirmationName = "Contoso Production" })).StatusCode
            .ShouldBe(HttpStatusCode.Accepted);

        var status = await platform.WaitForStatusAsync(tenant, environment, s => s.State == EnvironmentState.Active, "Active again");
        status.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        status.TenantKeyId.ShouldBeNull();
        (await platform.ReadOkAsync(tenant, environment, "r1")).ShouldBe("kept");
    }

    [Fact]
    [Trait("Rule", "D2")]
    public async Task Every_release_is_audited_with_caller_key_and_version_and_operators_get_no_key_material_D2()
    {
        var tenant = await platform.TenantAsync();
        var key = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.ApplyAndWaitAsync(tenant, environment);
        platform.Cache.Evict(environment);

        var first = await (await platform.ReleaseAsync(tenant, environment)).ReadAsync<ReleasedDataKey>();
        var second = await (await platform.ReleaseAsync(tenant, environment)).ReadAsync<ReleasedDataKey>();

        first.FromCache.ShouldBeFalse();
        second.FromCache.ShouldBeTrue();
        second.DataKey.ShouldBe(first.DataKey);
        Convert.FromBase64String(first.DataKey).Length.ShouldBe(32);
        var audit = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{environment}/data-key/releases"))
            .ReadAsync<List<DataKeyReleaseView>>();
        var releases = audit.Where(r => r.Purpose == "release").ToList();
        releases.Count.ShouldBe(2);
        releases.ShouldAllBe(r => r.Caller == $"user-{StorageRoles.PlatformStorageService}@*" && r.TenantKeyId == key.KeyId
                                  && r.VaultKeyId == key.Facts.VaultKeyId && r.VaultKeyVersion != "" && r.ReleasedAt == platform.Clock.GetUtcNow());

        await platform.Operator().PostAsync($"/v1/tenants/{tenant}/environments/{environment}/data-key/release", null)
            .ShouldBeRefusedByAsync(Rules.Authorization);
        await platform.Admin(tenant).PostAsync($"/v1/tenants/{tenant}/environments/{environment}/data-key/release", null)
            .ShouldBeRefusedByAsync(Rules.Authorization);
        await platform.Environments.ClientFor("another-tenant", StorageRoles.PlatformStorageService)
            .PostAsync($"/v1/tenants/{tenant}/environments/{environment}/data-key/release", null).ShouldBeRefusedByAsync(Rules.Authorization);
        platform.Logs.Lines.ShouldNotContain(line => line.Contains(first.DataKey, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Rule", "S4")]
    public async Task The_status_of_a_tenants_environments_is_paged_and_names_the_platform_managed_components_S4_T3()
    {
        var tenant = await platform.TenantAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await platform.RegisterAsync(tenant));
        await platform.RegisterAsync(await platform.TenantAsync());

        var first = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments?page=1&pageSize=3"))
            .ReadAsync<EnvironmentStatusPage>();
        var second = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments?page=2&pageSize=3"))
            .ReadAsync<EnvironmentStatusPage>();

        first.Total.ShouldBe(5);
        first.Environments.Count.ShouldBe(3);
        second.Environments.Count.ShouldBe(2);
        first.Environments.Concat(second.Environments).Select(e => e.EnvironmentId).ShouldBe(ids.Order(StringComparer.Ordinal));
        first.Environments[0].PlatformManagedComponents.ShouldContain("Mail server-side sync");
        (await platform.Environments.ClientFor("someone-else", PlatformRoles.PowerPlatformAdmin)
            .GetAsync($"/v1/tenants/{tenant}/environments")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
