using System.Net;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.Backups.BackingUp;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.Testing;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>Backups, restore, copy and reset (D5, E4, E5) on real records encrypted under real keys.</summary>
[Collection(PlatformCollection.Name)]
public sealed class DatabaseOperationTests(PlatformFixture platform)
{
    private sealed record Estate(string Tenant, string X, string Y, string PlatformOnly, string OtherRegion);

    /// <summary>X and Y under the tenant key of Europe, one Europe environment under the platform key, and one under the
    /// tenant key of another region (another key).</summary>
    private async Task<Estate> EstateAsync()
    {
        var tenant = await platform.TenantAsync();
        await platform.FirstKeyAsync(tenant);
        await platform.FirstKeyAsync(tenant, "unitedstates");
        var x = await platform.RegisterAsync(tenant, name: "X");
        var y = await platform.RegisterAsync(tenant, name: "Y");
        var platformOnly = await platform.RegisterAsync(tenant, name: "P");
        var otherRegion = await platform.RegisterAsync(tenant, "unitedstates", name: "W");
        foreach (var environment in new[] { x, y }) await platform.ApplyAndWaitAsync(tenant, environment);
        await platform.ApplyAndWaitAsync(tenant, otherRegion);
        await platform.WriteOkAsync(tenant, x, "order-1", "x: 3 chairs");
        await platform.WriteOkAsync(tenant, x, "order-2", "x: 1 table");
        await platform.WriteOkAsync(tenant, y, "order-1", "y: nothing yet");
        return new Estate(tenant, x, y, platformOnly, otherRegion);
    }

    private async Task<string> BackUpAsync(string tenant, string environment, string label = "manual")
    {
        var response = await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/backups", new { label });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.ReadAsync<BackupCreated>()).BackupId;
    }

    private Task<HttpResponseMessage> RestoreAsync(string tenant, string backupId, string target) =>
        platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{target}/restore", new { backupId });

    private Task<HttpResponseMessage> CopyAsync(string tenant, string source, string target) =>
        platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{source}/copy", new { targetEnvironmentId = target });

    [Fact]
    [Trait("Rule", "E4")]
    public async Task A_backup_restores_to_its_own_environment_and_to_another_under_the_same_tenant_key_and_copies_go_there_too_E4_D5()
    {
        var estate = await EstateAsync();
        var (tenant, x, y) = (estate.Tenant, estate.X, estate.Y);
        var backup = await BackUpAsync(tenant, x);
        var listed = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{x}/backups")).ReadAsync<List<BackupView>>();
        listed.ShouldHaveSingleItem().RecordCount.ShouldBe(2);
        listed[0].Protection.ShouldBe(EnvironmentProtection.TenantKey);

        await platform.WriteOkAsync(tenant, x, "order-1", "x: changed after the backup");
        (await RestoreAsync(tenant, backup, x)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await platform.ReadOkAsync(tenant, x, "order-1")).ShouldBe("x: 3 chairs");

        (await RestoreAsync(tenant, backup, y)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await platform.ReadOkAsync(tenant, y, "order-2")).ShouldBe("x: 1 table");

        await platform.WriteOkAsync(tenant, x, "order-3", "x: 2 lamps");
        (await CopyAsync(tenant, x, y)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await platform.ReadOkAsync(tenant, y, "order-3")).ShouldBe("x: 2 lamps");
        (await platform.ReadOkAsync(tenant, y, "order-1")).ShouldBe("x: 3 chairs");

        // The copied records are Y's own now: encrypted under Y's data key, bound to Y.
        var xKey = await (await platform.ReleaseAsync(tenant, x)).ReadAsync<ReleasedDataKey>();
        var yKey = await (await platform.ReleaseAsync(tenant, y)).ReadAsync<ReleasedDataKey>();
        yKey.DataKeyId.ShouldNotBe(xKey.DataKeyId);
    }

    [Fact]
    [Trait("Rule", "D5")]
    public async Task Each_listed_backup_reports_the_records_it_holds_D5()
    {
        var estate = await EstateAsync();
        var (tenant, x) = (estate.Tenant, estate.X);
        var empty = await platform.RegisterAsync(tenant, name: "Empty");
        await platform.ApplyAndWaitAsync(tenant, empty);
        await BackUpAsync(tenant, x, "two records");
        await platform.WriteOkAsync(tenant, x, "order-3", "x: 2 lamps");
        await BackUpAsync(tenant, x, "three records");
        await BackUpAsync(tenant, empty, "nothing");

        var listedX = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{x}/backups")).ReadAsync<List<BackupView>>();
        var listedEmpty = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{empty}/backups"))
            .ReadAsync<List<BackupView>>();

        // The record count of each backup, whichever comes first: the list is newest first, and the test's frozen clock gives
        // both backups the same time.
        listedX.Select(b => (b.Label, b.RecordCount)).ShouldBe([("two records", 2), ("three records", 3)], ignoreOrder: true);
        listedX.ShouldAllBe(b => b.EnvironmentId == x && b.Protection == EnvironmentProtection.TenantKey && b.Thumbprint != "");
        listedEmpty.ShouldHaveSingleItem().RecordCount.ShouldBe(0);
    }

    [Fact]
    [Trait("Rule", "E4")]
    public async Task Restore_and_copy_to_a_platform_key_target_or_under_another_key_are_refused_E4()
    {
        var estate = await EstateAsync();
        var (tenant, x) = (estate.Tenant, estate.X);
        var backup = await BackUpAsync(tenant, x);

        await RestoreAsync(tenant, backup, estate.PlatformOnly).ShouldBeRefusedByAsync(Rules.E4, "platform-managed key");
        await RestoreAsync(tenant, backup, estate.OtherRegion).ShouldBeRefusedByAsync(Rules.E4, "another key");
        await CopyAsync(tenant, x, estate.PlatformOnly).ShouldBeRefusedByAsync(Rules.E4, "platform-managed key");
        await CopyAsync(tenant, x, estate.OtherRegion).ShouldBeRefusedByAsync(Rules.E4, "another key");
        await CopyAsync(tenant, estate.PlatformOnly, x).ShouldBeRefusedByAsync(Rules.E4, "platform-managed key");
        (await platform.StatusAsync(tenant, estate.PlatformOnly)).Protection.ShouldBe(EnvironmentProtection.PlatformKey);
    }

    [Fact]
    [Trait("Rule", "E4")]
    public async Task A_locked_environment_is_neither_source_nor_target_of_a_restore_or_a_copy_E4()
    {
        var estate = await EstateAsync();
        var (tenant, x, y) = (estate.Tenant, estate.X, estate.Y);
        var backupOfX = await BackUpAsync(tenant, x);
        var backupOfY = await BackUpAsync(tenant, y);
        await using var locked = await BusProbe<EnvironmentLocked>.StartAsync(platform.Bus);
        await platform.SendAsync(new LockEnvironment(tenant, PlatformFixture.Region, y, $"tenant-lock:{tenant}:europe:1"));
        await locked.WaitForAsync(l => l.EnvironmentId == y, "Y to be locked");

        await RestoreAsync(tenant, backupOfX, y).ShouldBeRefusedByAsync(Rules.E4, "target environment 'Y' is locked");
        await RestoreAsync(tenant, backupOfY, x).ShouldBeRefusedByAsync(Rules.E4, "source environment 'Y' is locked");
        await RestoreAsync(tenant, backupOfY, y).ShouldBeRefusedByAsync(Rules.E4, "locked");
        await CopyAsync(tenant, x, y).ShouldBeRefusedByAsync(Rules.E4, "target environment 'Y' is locked");
        await CopyAsync(tenant, y, x).ShouldBeRefusedByAsync(Rules.E4, "source environment 'Y' is locked");
        (await platform.ReadOkAsync(tenant, x, "order-1")).ShouldBe("x: 3 chairs");
    }

    [Fact]
    [Trait("Rule", "E5")]
    public async Task A_reset_deletes_the_records_and_every_backup_and_returns_to_the_platform_key_with_a_new_data_key_E5()
    {
        var estate = await EstateAsync();
        var (tenant, x) = (estate.Tenant, estate.X);
        await BackUpAsync(tenant, x);
        var backup = await BackUpAsync(tenant, x);
        var before = await (await platform.ReleaseAsync(tenant, x)).ReadAsync<ReleasedDataKey>();

        (await platform.Admin(tenant).PostAsync($"/v1/tenants/{tenant}/environments/{x}/reset", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await platform.ReadAsync(tenant, x, "order-1")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{x}/backups")).ReadAsync<List<BackupView>>()).ShouldBeEmpty();
        await RestoreAsync(tenant, backup, x).ShouldBeRefusedByAsync(Rules.NotFound);
        var status = await platform.StatusAsync(tenant, x);
        status.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        status.State.ShouldBe(EnvironmentState.Active);
        var after = await (await platform.ReleaseAsync(tenant, x)).ReadAsync<ReleasedDataKey>();
        after.DataKeyId.ShouldNotBe(before.DataKeyId);
        after.DataKey.ShouldNotBe(before.DataKey);
        after.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        await platform.WriteOkAsync(tenant, x, "fresh", "after the reset");
        (await platform.ReadOkAsync(tenant, x, "fresh")).ShouldBe("after the reset");
        (await platform.ReadOkAsync(tenant, estate.Y, "order-1")).ShouldBe("y: nothing yet");
    }
}
