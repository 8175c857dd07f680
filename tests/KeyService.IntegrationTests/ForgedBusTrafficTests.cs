using System.Net;
using System.Net.Http.Json;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace KeyService.IntegrationTests;

/// <summary>Issue 9's attacks on KeyService over the bus (X2): the saga-only commands and other services' events are
/// accepted only from their sender, and a refused message changes nothing.</summary>
public sealed class ForgedBusTrafficTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    private const string Region = "europe";

    private IBus Bus => fixture.Host.Services.GetRequiredService<IBus>();

    private async Task<(string Tenant, HttpClient Admin, KeyInventoryItem Active)> TenantWithActiveKeyAsync()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        (await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("first", KeyFiles.Fixture("rsa2048.pfx"), "first.pfx", KeyFiles.FixturePassword))).StatusCode
            .ShouldBe(HttpStatusCode.Created);
        var active = await Eventually.GetAsync(async () =>
            (await admin.GetFromJsonAsync<KeyInventoryView>($"/v1/tenants/{tenant}/regions/{Region}/keys", Json.Options))!
            .Keys.SingleOrDefault(k => k.State == TenantKeyState.Active), "the first key to be active");
        return (tenant, admin, active);
    }

    private async Task<Problem?> UploadProblemAsync(HttpClient admin, string tenant)
    {
        var (pfx, _) = KeyFiles.DotNetPfx("a long enough password");
        var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload($"probe-{Guid.NewGuid():N}", pfx, "probe.pfx", "a long enough password"));
        return response.StatusCode == HttpStatusCode.Created ? null : await response.Content.ReadFromJsonAsync<Problem>(Json.Options);
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task LockTenantKeys_from_a_tenant_admins_principal_deletes_no_key_X2_L1_L4()
    {
        var (tenant, admin, active) = await TenantWithActiveKeyAsync();
        await using var refusals = await BusProbe<TenantKeyLockRefused>.StartAsync(Bus);
        var adminOf = new Actor($"admin@{tenant}", tenant, new HashSet<string> { PlatformRoles.PowerPlatformAdmin }, new HashSet<string>());
        var cycle = $"tenant-lock:{tenant}:{Region}:1";

        // With the public thumbprint and a valid admin token, from a platform service: only the saga may send it.
        await fixture.PlatformBus.SendAsync(Queues.KeyService, new LockTenantKeys(tenant, Region, cycle, active.Thumbprint),
            fixture.TokenOf(adminOf));
        // And with headers that claim the saga's own identity: headers grant nothing, the broker-proven sender decides.
        await fixture.PlatformBus.SendAsServiceAsync(Queues.KeyService, new LockTenantKeys(tenant, Region, cycle, active.Thumbprint),
            Actor.Service(Sender.TenantLock));

        await Eventually.TrueAsync(async () =>
            (await fixture.Broker.Management.PeekAsync(fixture.Broker.VirtualHost, Queues.KeyService + "_error"))
            .Count(m => m.Payload.Contains(cycle, StringComparison.Ordinal)) == 2, "both forged locks in the error queue");
        refusals.Received.ShouldBeEmpty();
        var inventory = (await admin.GetFromJsonAsync<KeyInventoryView>($"/v1/tenants/{tenant}/regions/{Region}/keys", Json.Options))!;
        inventory.Keys.Single().State.ShouldBe(TenantKeyState.Active);
        var ring = await fixture.Host.Services.GetRequiredService<TenantKeyFactsReader>().RingAsync(tenant, Region, CancellationToken.None);
        var vault = fixture.Host.Services.GetRequiredService<IKeyVault>();
        (await vault.GetThumbprintAsync(ring!.Find(active.KeyId)!.VaultKeyId)).ShouldBe(active.Thumbprint);
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task A_forged_EnvironmentUnlocked_does_not_lift_K11_X2_K11_U3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        await fixture.EnvironmentsBus.PublishAsync(new EnvironmentLocked(tenant, Region, environment, fixture.Host.Clock.GetUtcNow(), "cycle-1"));
        await Eventually.TrueAsync(async () => (await UploadProblemAsync(admin, tenant))?.Rule == Rules.K11, "the locked environment to be known");
        var forgedId = NewId.NextGuid();

        await fixture.PlatformBus.SendAsync(Queues.KeyService, new EnvironmentUnlocked(tenant, Region, environment, fixture.Host.Clock.GetUtcNow()),
            token: null, context => context.MessageId = forgedId);

        var faulted = await Eventually.GetAsync(async () =>
            (await fixture.Broker.Management.PeekAsync(fixture.Broker.VirtualHost, Queues.KeyService + "_error"))
            .FirstOrDefault(m => m.Payload.Contains(forgedId.ToString(), StringComparison.Ordinal)), "the forged unlock in the error queue");
        faulted.Header("MT-Fault-Message")!.ShouldContain("may be sent only by EnvironmentEncryption");
        (await UploadProblemAsync(admin, tenant))!.Rule.ShouldBe(Rules.K11);
    }
}
