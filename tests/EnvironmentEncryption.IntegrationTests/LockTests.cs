using System.Net;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>Lock, unlock and deletion of one environment, as the tenant-lock saga and the environment's admin drive
/// them (E6, U2, D4, L7), with KeyService counting locked environments.</summary>
[Collection(PlatformCollection.Name)]
public sealed class LockTests(PlatformFixture platform)
{
    private async Task<EnvironmentLocked> LockAsync(string tenant, string environment, string cycle)
    {
        await using var locked = await BusProbe<EnvironmentLocked>.StartAsync(platform.Bus);
        await platform.SendAsync(new LockEnvironment(tenant, PlatformFixture.Region, environment, cycle));
        return (await locked.WaitForAsync(l => l.EnvironmentId == environment, "EnvironmentLocked")).Message;
    }

    [Fact]
    [Trait("Rule", "E6")]
    public async Task A_lock_drops_the_cached_plaintext_key_and_refuses_every_release_and_KeyService_counts_it_E6_D4_K11()
    {
        var (tenant, _, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        (await platform.ReleaseAsync(tenant, environment)).StatusCode.ShouldBe(HttpStatusCode.OK);
        platform.Cache.Contains(environment).ShouldBeTrue();
        var cachedBytes = platform.Cache.BufferOf(environment)!;
        cachedBytes.ShouldContain(b => b != 0);

        var locked = await LockAsync(tenant, environment, $"tenant-lock:{tenant}:europe:1");

        locked.LockCycleId.ShouldBe($"tenant-lock:{tenant}:europe:1");
        locked.TenantId.ShouldBe(tenant);
        platform.Cache.Contains(environment).ShouldBeFalse();
        cachedBytes.ShouldAllBe(b => b == 0);
        await platform.ReleaseAsync(tenant, environment).ShouldBeRefusedByAsync(Rules.E6, "locked");
        await platform.ReadAsync(tenant, environment, "invoice-7").ShouldBeRefusedByAsync(Rules.E6);
        platform.Cache.Contains(environment).ShouldBeFalse();
        var status = await platform.StatusAsync(tenant, environment);
        status.State.ShouldBe(EnvironmentState.Locked);
        status.LockedSince.ShouldBe(platform.Clock.GetUtcNow());
        status.DeletionDueAt.ShouldBe(platform.Clock.GetUtcNow() + TimeSpan.FromDays(28));
        await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/backups", new { label = "x" })
            .ShouldBeRefusedByAsync(Rules.E6);

        // KeyService learned of the lock from EnvironmentLocked: K11 refuses a new key for the tenant.
        await Eventually.TrueAsync(async () =>
        {
            var upload = await platform.KeyAdmin(tenant).PostAsync($"/v1/tenants/{tenant}/regions/{PlatformFixture.Region}/keys",
                TenantKeyFile.Create().Upload($"while locked {TestInfrastructure.UniqueSuffix()}"));
            return upload.StatusCode == HttpStatusCode.Conflict && (await upload.ProblemAsync()).Rule == Rules.K11;
        }, "KeyService to refuse a key while an environment is locked (K11)");

        // Locking again changes nothing (the saga may resend).
        var again = await platform.SendAsync(new LockEnvironment(tenant, PlatformFixture.Region, environment, $"tenant-lock:{tenant}:europe:1"));
        await Eventually.TrueAsync(() => platform.HandledAsync("lock-environment:complete", again), "the repeated lock to be handled");
        await using var probe = await BusProbe<CommandRefused>.StartAsync(platform.Bus);
        await platform.SendAsync(new LockEnvironment(tenant, PlatformFixture.Region, environment, $"tenant-lock:{tenant}:europe:2"), PlatformFixture.TenantAdmin("someone-else"));
        (await probe.WaitForAsync(r => r.TenantId == tenant, "a lock from another tenant to be refused")).Message.Rule.ShouldBe(Rules.Authorization);
        await using var session = platform.Environments.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment));
        events.Count(e => e.Data is LockCompleted).ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "U2")]
    public async Task After_the_key_left_the_vault_and_came_back_under_a_new_vault_id_the_admin_unlocks_and_reads_the_same_data_U2_D4()
    {
        var (tenant, key, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        await LockAsync(tenant, environment, $"tenant-lock:{tenant}:europe:1");
        var vault = platform.Vault.Inner;
        (await vault.DeleteAsync(key.Facts.VaultKeyId)).ShouldBeTrue(); // L4, as the lock does it

        var unlock = $"/v1/tenants/{tenant}/environments/{environment}/unlock";
        var admin = platform.EnvironmentAdmin(tenant, environment);
        await admin.PostAsync(unlock, null).ShouldBeRefusedByAsync(Rules.U2, "Active again");
        await platform.ReleaseAsync(tenant, environment).ShouldBeRefusedByAsync(Rules.E6);

        // U1, as KeyService will do it: the same key uploaded again gets a new vault id, and is announced active.
        platform.Clock.Advance(TimeSpan.FromHours(2));
        var reimported = await vault.ImportAsync(new VaultKeyName($"{tenant}/unlock"), VaultKeyOwner.Tenant(tenant, PlatformFixture.Region), key.File.Key);
        reimported.KeyId.ShouldNotBe(key.Facts.VaultKeyId);
        reimported.Thumbprint.ShouldBe(key.File.Thumbprint);
        await using var unlocked = await BusProbe<EnvironmentUnlocked>.StartAsync(platform.Bus);
        await platform.KeyServiceBus.PublishAsync(new TenantKeyActivated(tenant, PlatformFixture.Region, key.KeyId, reimported.KeyId, reimported.Thumbprint,
            null, platform.Clock.GetUtcNow()));
        await Eventually.TrueAsync(async () => (await platform.FactsAsync(tenant))!.ActiveKey(PlatformFixture.Region)!.VaultKeyId == reimported.KeyId,
            "EnvironmentEncryption to learn the re-imported key");

        await platform.Environments.ClientFor(tenant, [PlatformRoles.EnvironmentAdmin], ["another-environment"]).PostAsync(unlock, null)
            .ShouldBeRefusedByAsync(Rules.Authorization);
        var response = await admin.PostAsync(unlock, null);
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());

        (await unlocked.WaitForAsync(u => u.EnvironmentId == environment, "EnvironmentUnlocked")).Message.TenantId.ShouldBe(tenant);
        var status = await platform.StatusAsync(tenant, environment);
        status.State.ShouldBe(EnvironmentState.Active);
        status.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        (await platform.ReadOkAsync(tenant, environment, "invoice-7")).ShouldBe("EUR 1,200.00 due 2026-04-01");
    }

    [Fact]
    [Trait("Rule", "L7")]
    public async Task An_environment_still_locked_is_deleted_with_its_records_and_backups_when_the_saga_says_so_L7()
    {
        var (tenant, _, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        (await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/backups", new { label = "nightly" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        await LockAsync(tenant, environment, $"tenant-lock:{tenant}:europe:7");
        await using var deleted = await BusProbe<EnvironmentDeleted>.StartAsync(platform.Bus);
        await using var refused = await BusProbe<CommandRefused>.StartAsync(platform.Bus);

        await platform.SendAsync(new DeleteLockedEnvironment(tenant, PlatformFixture.Region, environment, $"tenant-lock:{tenant}:europe:6"));
        (await refused.WaitForAsync(r => r.TenantId == tenant && r.Command == nameof(DeleteLockedEnvironment), "refusal")).Message.Rule
            .ShouldBe(Rules.L7);
        await platform.SendAsync(new DeleteLockedEnvironment(tenant, PlatformFixture.Region, environment, $"tenant-lock:{tenant}:europe:7"));

        (await deleted.WaitForAsync(d => d.EnvironmentId == environment, "EnvironmentDeleted")).Message.Reason.ShouldContain("L7");
        (await platform.StatusAsync(tenant, environment)).State.ShouldBe(EnvironmentState.Deleted);
        await using var session = platform.Environments.Services.GetRequiredService<IDocumentStore>().QuerySession();
        (await session.Query<KeyPlatform.EnvironmentEncryption.Store.EnvironmentRecord>().CountAsync(r => r.EnvironmentId == environment)).ShouldBe(0);
        (await session.Query<KeyPlatform.EnvironmentEncryption.Backups.EnvironmentBackup>().CountAsync(b => b.SourceEnvironmentId == environment))
            .ShouldBe(0);
    }
    [Fact]
    [Trait("Rule", "L3")]
    public async Task While_a_lock_holds_the_keys_a_return_is_refused_and_a_lock_of_an_environment_off_the_tenant_key_is_refused_to_the_saga_L3()
    {
        var (tenant, _, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        var onPlatformKey = await platform.RegisterAsync(tenant);
        var cycle = $"tenant-lock:{tenant}:europe:1";
        await platform.KeyServiceBus.PublishAsync(new TenantKeyLockStarted(tenant, PlatformFixture.Region, cycle, "k1", 1, platform.Clock.GetUtcNow()));
        await Eventually.TrueAsync(async () => (await platform.FactsAsync(tenant))!.LockHolds(PlatformFixture.Region), "the lock to be known");

        await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/encryption/return", new { acknowledgeRisk = true })
            .ShouldBeRefusedByAsync(Rules.L3, "lock");

        await using var refused = await BusProbe<EnvironmentLockRefused>.StartAsync(platform.Bus);
        await platform.SendAsync(new LockEnvironment(tenant, PlatformFixture.Region, onPlatformKey, cycle));
        var refusal = (await refused.WaitForAsync(r => r.EnvironmentId == onPlatformKey, "the refusal of the lock to the saga")).Message;
        refusal.Rule.ShouldBe(Rules.L3);
        refusal.LockCycleId.ShouldBe(cycle);
        refusal.TenantId.ShouldBe(tenant);
    }
}
