using System.Net;
using System.Net.Http.Json;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.Local;
using Microsoft.Extensions.DependencyInjection;

namespace KeyService.IntegrationTests;

/// <summary>KeyService on a store that keeps deleted keys recoverable until their purge (Azure Key Vault with purge protection).</summary>
public sealed class PurgeProtectedKeyServiceFixture : KeyServiceFixture
{
    public PurgeProtectedKeyVault Vault => (PurgeProtectedKeyVault)Host.Services.GetRequiredService<IKeyVault>();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IKeyVault>(provider =>
            new PurgeProtectedKeyVault(provider.GetRequiredService<LocalKeyVault>(), provider.GetRequiredService<TimeProvider>()));
}

public sealed class KeyInventoryCustodyTests(PurgeProtectedKeyServiceFixture fixture) : IClassFixture<PurgeProtectedKeyServiceFixture>
{
    private const string Region = "europe";

    private async Task<KeyInventoryView> InventoryAsync(HttpClient admin, string tenant) =>
        (await admin.GetFromJsonAsync<KeyInventoryView>($"/v1/tenants/{tenant}/regions/{Region}/keys", Json.Options))!;

    [Fact]
    [Trait("Rule", "D4")]
    public async Task The_inventory_says_a_key_the_lock_deleted_is_recoverable_until_its_purge_and_destroyed_after_asking_the_store_only_for_those_keys_D4_L4()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        (await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("first", KeyFiles.Fixture("rsa2048.pfx"), "first.pfx", KeyFiles.FixturePassword))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var (pfx, _) = KeyFiles.DotNetPfx("another long password");
        (await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("second", pfx, "second.pfx", "another long password"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var active = await Eventually.GetAsync(async () => (await InventoryAsync(admin, tenant)).Keys.SingleOrDefault(k => k.State == TenantKeyState.Active),
            "the first key to be active");
        var held = await InventoryAsync(admin, tenant);
        held.Keys.ShouldAllBe(k => k.Custody == null);
        var questionsBefore = fixture.Vault.AllStateQuestions;

        fixture.Host.Clock.Advance(TimeSpan.FromHours(73)); // L2
        var lockedAt = fixture.Host.Clock.GetUtcNow();
        await fixture.SagaBus.SendAsServiceAsync(Queues.KeyService,
            new LockTenantKeys(tenant, Region, $"tenant-lock:{tenant}:{Region}:1", active.Thumbprint), Actor.Service(Sender.TenantLock));
        var locked = await Eventually.GetAsync(async () => await InventoryAsync(admin, tenant) is var i
            && i.Keys.Any(k => k.State == TenantKeyState.Locked) ? i : null, "the ring to be locked");
        fixture.Vault.AllStateQuestions.ShouldBe(questionsBefore + 2, "only the two keys the lock deleted are asked about");

        var ring = await fixture.Host.Services.GetRequiredService<KeyPlatform.KeyService.TenantKeys.TenantKeyFactsReader>()
            .RingAsync(tenant, Region, CancellationToken.None);
        var lockedKey = ring!.Keys.Single(k => k.State == TenantKeyState.Locked);
        var deletedKey = ring.Keys.Single(k => k.State == TenantKeyState.Deleted);
        locked.Keys.ShouldAllBe(k => k.Custody!.Phase == VaultKeyPhase.DeletedRecoverable && !k.Custody.IsDestroyed);
        locked.Keys.Single(k => k.KeyId == lockedKey.KeyId).Custody!.PurgeScheduledAt.ShouldBe(lockedAt + PurgeProtectedKeyVault.Retention);
        (await fixture.Host.Services.GetRequiredService<LocalKeyVault>().ExistsAsync(lockedKey.VaultKeyId)).ShouldBeFalse();

        // Read again within the recheck time: answered from what the store said, nothing asked.
        await InventoryAsync(admin, tenant);
        (await admin.GetFromJsonAsync<List<KeyInventoryView>>($"/v1/tenants/{tenant}/keys", Json.Options))!.Single().Keys
            .ShouldAllBe(k => k.Custody!.Phase == VaultKeyPhase.DeletedRecoverable);
        fixture.Vault.StateQuestions(lockedKey.VaultKeyId).ShouldBe(1);

        // Key Vault purges the locking key; the next read after the recheck time says it is destroyed, the other still recoverable.
        fixture.Vault.Purge(lockedKey.VaultKeyId);
        fixture.Host.Clock.Advance(DeletedKeyCustody.RecheckAfter + TimeSpan.FromSeconds(1));
        var purged = await InventoryAsync(admin, tenant);
        purged.Keys.Single(k => k.KeyId == lockedKey.KeyId).Custody.ShouldBe(VaultKeyState.Destroyed);
        purged.Keys.Single(k => k.KeyId == deletedKey.KeyId).Custody!.Phase.ShouldBe(VaultKeyPhase.DeletedRecoverable);

        // A destroyed key stays destroyed: never asked about again.
        fixture.Host.Clock.Advance(DeletedKeyCustody.RecheckAfter + TimeSpan.FromSeconds(1));
        await InventoryAsync(admin, tenant);
        fixture.Vault.StateQuestions(lockedKey.VaultKeyId).ShouldBe(2);
        fixture.Vault.StateQuestions(deletedKey.VaultKeyId).ShouldBe(3);
    }
}
