using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.KeyService.TenantKeys.OrphanKeys;
using KeyPlatform.KeyService.VaultGateway;
using KeyPlatform.ServiceDefaults.Telemetry;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace KeyService.IntegrationTests;

/// <summary>
/// The vault reconciliation on the real vault, PostgreSQL and RabbitMQ: a key the vault holds but no ring names (what a
/// crash between the vault import and the append leaves) is deleted once it is older than the grace period; a ring's keys
/// and young keys are not.
/// </summary>
public sealed class OrphanKeyReconciliationTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    private const string Region = "europe";

    private IKeyVault Vault => fixture.Host.Services.GetRequiredService<IKeyVault>();

    private TimeSpan GracePeriod => fixture.Host.Services.GetRequiredService<OrphanKeyOptions>().GracePeriod;

    /// <summary>What the upload slice does before its append: the key is in the vault, and then the process dies.</summary>
    private async Task<VaultKeyInfo> ImportedBeforeACrashAsync(string tenant) => await ImportStraightAsync(tenant);

    private async Task<VaultKeyInfo> ImportStraightAsync(string tenant)
    {
        using var key = RSA.Create(2048);
        return await Vault.ImportAsync(new VaultKeyName($"{tenant}/{Region}/never recorded"), VaultKeyOwner.Tenant(tenant, Region), key);
    }

    /// <summary>A key uploaded the normal way, and the vault id its ring records.</summary>
    private async Task<string> RingKeyAsync(string tenant, HttpClient admin)
    {
        var (pfx, key) = KeyFiles.DotNetPfx(KeyFiles.FixturePassword);
        key.Dispose();
        var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("ring key", pfx, "ring.pfx", KeyFiles.FixturePassword));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        await using var session = fixture.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var ring = await session.LoadAsync<TenantKeyRing>(TenantKeyRing.StreamKey(tenant, Region));
        return ring!.Keys.ShouldHaveSingleItem().VaultKeyId;
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task An_orphan_older_than_the_grace_period_is_deleted_logged_and_counted_and_ring_young_and_foreign_keys_stay_V1()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var orphan = await ImportedBeforeACrashAsync(tenant);
        var ringKey = await RingKeyAsync(tenant, admin);
        // A tenant this deployment never enabled: its key is another deployment's (a store shared with it), not an orphan.
        var foreign = await ImportStraightAsync($"elsewhere-{TestInfrastructure.UniqueSuffix()}");
        var reconciler = fixture.Host.Services.GetRequiredService<OrphanKeyReconciler>();
        long counted = 0;
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument == PlatformTelemetry.OrphanKeysDeleted) listener.EnableMeasurementEvents(instrument);
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counted, value));
        meter.Start();

        // Within the grace period the import may still be waiting for its append: nothing is touched.
        fixture.Host.Clock.Advance(GracePeriod - TimeSpan.FromMinutes(1));
        await reconciler.ReconcileAsync();
        (await Vault.ExistsAsync(orphan.KeyId)).ShouldBeTrue();

        fixture.Host.Clock.Advance(TimeSpan.FromMinutes(2));
        var young = await ImportedBeforeACrashAsync(tenant);
        await reconciler.ReconcileAsync();

        (await Vault.ExistsAsync(orphan.KeyId)).ShouldBeFalse();
        (await Vault.ExistsAsync(ringKey)).ShouldBeTrue();
        (await Vault.ExistsAsync(young.KeyId)).ShouldBeTrue();
        (await Vault.ExistsAsync(foreign.KeyId)).ShouldBeTrue();
        Interlocked.Read(ref counted).ShouldBeGreaterThanOrEqualTo(1);
        // One deletion, whichever round made it (the hosted timer may run one as the clock moves).
        var logged = fixture.Logs.Lines.Where(line => line.Contains(orphan.KeyId, StringComparison.Ordinal)).ShouldHaveSingleItem();
        logged.ShouldContain("deleted from the vault");
        logged.ShouldContain(tenant);
        logged.ShouldContain(Region);
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task Gateway_import_records_of_keys_a_ring_took_in_or_the_vault_deleted_are_pruned_after_the_grace_period_V1()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var imports = fixture.Host.Services.GetRequiredService<VaultGatewayImports>();
        var reconciler = fixture.Host.Services.GetRequiredService<OrphanKeyReconciler>();
        // U1: the saga's import became the ring's key; and an import the saga deleted again (a refused unlock).
        var takenIn = await RingKeyAsync(tenant, admin);
        await imports.RecordAsync(takenIn, "tenant-lock", CancellationToken.None);
        var deletedEarly = await ImportStraightAsync(tenant);
        await imports.RecordAsync(deletedEarly.KeyId, "tenant-lock", CancellationToken.None);
        (await Vault.DeleteAsync(deletedEarly.KeyId)).ShouldBeTrue();

        fixture.Host.Clock.Advance(GracePeriod + TimeSpan.FromMinutes(1));
        var deletedLately = await ImportStraightAsync(tenant);
        await imports.RecordAsync(deletedLately.KeyId, "tenant-lock", CancellationToken.None);
        (await Vault.DeleteAsync(deletedLately.KeyId)).ShouldBeTrue();
        await reconciler.ReconcileAsync();

        await using var session = fixture.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        (await session.LoadAsync<VaultGatewayImport>(takenIn)).ShouldBeNull();
        (await session.LoadAsync<VaultGatewayImport>(deletedEarly.KeyId)).ShouldBeNull();
        // Young: a repeated delete of it by the saga still answers false rather than 403.
        (await imports.ImportedByAsync(deletedLately.KeyId, "tenant-lock", CancellationToken.None)).ShouldBeTrue();
        (await Vault.ExistsAsync(takenIn)).ShouldBeTrue();
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task The_service_reconciles_on_its_timer_once_its_clock_passes_the_interval_V1()
    {
        var (tenant, _) = await fixture.EnabledTenantAsync();
        var orphan = await ImportedBeforeACrashAsync(tenant);
        var options = fixture.Host.Services.GetRequiredService<OrphanKeyOptions>();

        // Past the grace period, and one interval on: the hosted service's timer runs a round by itself.
        fixture.Host.Clock.Advance(options.GracePeriod + options.Interval);

        await Eventually.TrueAsync(async () => !await Vault.ExistsAsync(orphan.KeyId), "the orphan to be deleted by the timer");
    }
}
