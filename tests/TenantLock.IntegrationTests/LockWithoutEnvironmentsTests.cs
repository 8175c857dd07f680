using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.TenantLock.Facts;
using KeyPlatform.TenantLock.TenantLocks;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using KeyServiceApp = KeyPlatform.KeyService.Program;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace TenantLock.IntegrationTests;

/// <summary>KeyService and the saga on real PostgreSQL and RabbitMQ, sharing one fake clock: the key side of a lock
/// cycle (a tenant with no environment under its key), and an admin racing the lock with an activation.</summary>
public sealed class LockWithoutEnvironmentsTests : IAsyncLifetime
{
    private const string Region = "europe";
    private const string Password = "the locking key's password";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly TestBroker broker = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));
    private ServiceHost<KeyServiceApp> keys = null!;
    private ServiceHost<TenantLockApp> locks = null!;

    public async Task InitializeAsync()
    {
        await broker.InitializeAsync();
        keys = new ServiceHost<KeyServiceApp>(broker, "keys", clock, configureServices: services =>
            services.AddSingleton<IKeyVault>(provider => new InstallFailingKeyVault(provider.GetRequiredService<LocalKeyVault>())));
        locks = new ServiceHost<TenantLockApp>(broker, "tenant_lock", clock);
        _ = keys.CreateClient();
        _ = locks.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        await locks.DisposeAsync();
        await broker.DisposeAsync();
    }

    private static (byte[] Pfx, RSA Key) NewPfx()
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return (certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password), key);
    }

    private static MultipartFormDataContent KeyForm(byte[] pfx, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(pfx), "file", "key.pfx" }, { new StringContent(Password), "password" } };
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    private async Task<(string Tenant, HttpClient KeyAdmin, HttpClient LockAdmin)> TenantWithActiveKeyAsync(byte[] pfx)
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        (await keys.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement", new { appPerUserLicences = 5000, enterpriseLicences = 0 }))
            .EnsureSuccessStatusCode();
        var keyAdmin = keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
        (await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys", KeyForm(pfx, ("name", "k1"), ("acknowledgeRisk", "true"))))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        await Eventually.TrueAsync(async () => (await InventoryAsync(keyAdmin, tenant)).Keys.Any(k => k.State == TenantKeyState.Active), "k1 active");
        // The saga learns the activation from KeyService's event, a relay hop after the inventory shows it (L1, L2 are decided on it).
        await Eventually.TrueAsync(async () =>
        {
            await using var query = locks.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
            return await query.LoadAsync<ActiveKeyFactsDocument>(ActiveKeyFactsDocument.KeyFor(tenant, Region)) is not null;
        }, "the saga to know k1 active");
        return (tenant, keyAdmin, locks.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin));
    }

    private static async Task<KeyInventoryView> InventoryAsync(HttpClient admin, string tenant) =>
        (await admin.GetFromJsonAsync<KeyInventoryView>($"/v1/tenants/{tenant}/regions/{Region}/keys", Json))!;

    private static Task<LockProgressView> ProgressWhenAsync(HttpClient admin, string tenant, Func<LockProgressView, bool> until, string what) =>
        Eventually.GetAsync(async () =>
        {
            var response = await admin.GetAsync($"/v1/tenants/{tenant}/regions/{Region}/lock");
            var view = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<LockProgressView>(Json) : null;
            return view is not null && until(view) ? view : null;
        }, what);

    private async Task<HttpResponseMessage> LockAsync(HttpClient admin, string tenant, byte[] pfx) =>
        await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/lock",
            KeyForm(pfx, ("confirmationText", TenantLockDecider.ConfirmationText(tenant, Region)), ("acknowledgeRisk", "true")));

    private static async Task<Problem> ProblemOf(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<Problem>(Json))!;

    [Fact]
    [Trait("Rule", "L4")]
    public async Task Lock_deletes_the_keys_from_the_vault_and_the_locking_key_alone_unlocks_after_an_hour_L1_L2_L4_L6_U1()
    {
        var (pfx, key) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        var activatedAt = (await InventoryAsync(keyAdmin, tenant)).LastActivatedAt!.Value;
        var vaultKeyBefore = await VaultKeyIdOfAsync(tenant);

        clock.SetUtcNow(activatedAt + TimeSpan.FromHours(72) - TimeSpan.FromMinutes(1));
        var early = await ProblemOf(await LockAsync(lockAdmin, tenant, pfx));
        early.Rule.ShouldBe(Rules.L2);
        early.AllowedAt.ShouldBe(activatedAt + TimeSpan.FromHours(72));

        clock.SetUtcNow(activatedAt + TimeSpan.FromHours(72));
        var (otherPfx, _) = NewPfx();
        (await ProblemOf(await LockAsync(lockAdmin, tenant, otherPfx))).Rule.ShouldBe(Rules.L1);
        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var locked = await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete");
        locked.KeysLocked.ShouldBeTrue();
        locked.EnvironmentsTotal.ShouldBe(0);
        var inventory = await InventoryAsync(keyAdmin, tenant);
        inventory.Keys.Single().State.ShouldBe(TenantKeyState.Locked);
        inventory.Keys.Single().Thumbprint.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())));
        (await keys.Services.GetRequiredService<IKeyVault>().ExistsAsync(vaultKeyBefore)).ShouldBeFalse();

        clock.Advance(TimeSpan.FromMinutes(59));
        var tooSoon = await ProblemOf(await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", KeyForm(pfx, ("acknowledgeRisk", "true"))));
        tooSoon.Rule.ShouldBe(Rules.L6);
        tooSoon.AllowedAt.ShouldBe(locked.RequestedAt + TimeSpan.FromHours(1));

        clock.Advance(TimeSpan.FromMinutes(1));
        (await ProblemOf(await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", KeyForm(otherPfx, ("acknowledgeRisk", "true")))))
            .Rule.ShouldBe(Rules.U1);
        (await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", KeyForm(pfx, ("acknowledgeRisk", "true"))))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);

        await Eventually.TrueAsync(async () => (await InventoryAsync(keyAdmin, tenant)).Keys.Single().State == TenantKeyState.Active,
            "the locking key to be Active again");
        (await VaultKeyIdOfAsync(tenant)).ShouldNotBe(vaultKeyBefore);
        await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Closed, "the cycle to close");
    }

    [Fact]
    [Trait("Rule", "U1")]
    public async Task A_failed_reinstall_of_the_locking_key_is_shown_on_the_lock_and_a_repeated_unlock_installs_it_U1()
    {
        var (pfx, _) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        clock.SetUtcNow((await InventoryAsync(keyAdmin, tenant)).LastActivatedAt!.Value + TimeSpan.FromHours(72));
        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete");
        clock.Advance(TimeSpan.FromHours(1));
        var vault = (InstallFailingKeyVault)keys.Services.GetRequiredService<IKeyVault>();

        vault.FailInstalls = true;
        (await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", KeyForm(pfx, ("acknowledgeRisk", "true"))))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var failed = await ProgressWhenAsync(lockAdmin, tenant, p => p.KeyUnlockFailure is not null, "the failed reinstall on the lock");
        failed.Phase.ShouldBe(LockPhase.Locked);
        failed.KeyUnlockFailure.ShouldBe("The key is no longer in the vault.");
        failed.KeyUnlockFailedAt.ShouldBe(clock.GetUtcNow());
        (await InventoryAsync(keyAdmin, tenant)).Keys.Single().State.ShouldBe(TenantKeyState.Failed);
        var (otherPfx, _) = NewPfx();
        (await ProblemOf(await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyForm(otherPfx, ("name", "k2"), ("acknowledgeRisk", "true"))))).Rule.ShouldBe(Rules.K11);

        vault.FailInstalls = false;
        (await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", KeyForm(pfx, ("acknowledgeRisk", "true"))))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);

        await Eventually.TrueAsync(async () => (await InventoryAsync(keyAdmin, tenant)).Keys.Single().State == TenantKeyState.Active,
            "the locking key to be Active after the second unlock");
        var closed = await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Closed, "the cycle to close");
        closed.KeyUnlockFailure.ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "L3")]
    public async Task An_environment_EnvironmentEncryption_refuses_to_lock_because_it_left_the_tenant_key_leaves_the_list_and_the_lock_completes_L3()
    {
        var (pfx, _) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        clock.SetUtcNow((await InventoryAsync(keyAdmin, tenant)).LastActivatedAt!.Value + TimeSpan.FromHours(72));
        await using var environments = await TestBus.StartAsync(broker, Sender.EnvironmentEncryption);
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        await environments.PublishAsync(new KeyPlatform.Contracts.Environments.EnvironmentEncryptionChanged(tenant, Region, environment, "Returned",
            KeyPlatform.Contracts.Environments.EnvironmentProtection.TenantKey, "k1", "Active", clock.GetUtcNow()));
        await Eventually.TrueAsync(async () =>
        {
            await using var query = locks.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
            return await query.LoadAsync<KeyPlatform.TenantLock.Facts.EnvironmentFacts>(environment) is not null;
        }, "the saga to know the environment under the tenant key");

        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var waiting = await ProgressWhenAsync(lockAdmin, tenant, p => p.KeysLocked && p.EnvironmentsTotal == 1, "the lock to wait for the environment");
        waiting.Phase.ShouldBe(LockPhase.Locking);
        await environments.PublishAsync(new KeyPlatform.Contracts.Environments.EnvironmentLockRefused(tenant, Region, environment, waiting.LockCycleId,
            Rules.L3, "Environment 'Returned' is under the platform-managed key.", clock.GetUtcNow()));

        var locked = await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete without it");
        locked.EnvironmentsTotal.ShouldBe(0);
        locked.EnvironmentsNotLocked.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "U3")]
    public async Task Once_every_environment_the_lock_held_is_deleted_the_cycle_closes_and_keys_can_be_uploaded_again_U3_L7_K11()
    {
        var (pfx, _) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        clock.SetUtcNow((await InventoryAsync(keyAdmin, tenant)).LastActivatedAt!.Value + TimeSpan.FromHours(72));
        await using var environments = await TestBus.StartAsync(broker, Sender.EnvironmentEncryption);
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        await environments.PublishAsync(new KeyPlatform.Contracts.Environments.EnvironmentEncryptionChanged(tenant, Region, environment, "Forgotten",
            KeyPlatform.Contracts.Environments.EnvironmentProtection.TenantKey, "k1", "Active", clock.GetUtcNow()));
        await Eventually.TrueAsync(async () =>
        {
            await using var query = locks.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
            return await query.LoadAsync<KeyPlatform.TenantLock.Facts.EnvironmentFacts>(environment) is not null;
        }, "the saga to know the environment under the tenant key");
        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var waiting = await ProgressWhenAsync(lockAdmin, tenant, p => p.KeysLocked && p.EnvironmentsTotal == 1, "the lock to wait for the environment");
        await environments.PublishAsync(new KeyPlatform.Contracts.Environments.EnvironmentLocked(tenant, Region, environment, clock.GetUtcNow(),
            waiting.LockCycleId));
        await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete");
        var (otherPfx, _) = NewPfx();
        (await ProblemOf(await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyForm(otherPfx, ("name", "k2"), ("acknowledgeRisk", "true"))))).Rule.ShouldBe(Rules.K11);

        clock.Advance(TimeSpan.FromDays(28));
        await environments.PublishAsync(new KeyPlatform.Contracts.Environments.EnvironmentDeleted(tenant, Region, environment, clock.GetUtcNow(),
            "L7: still locked 28 days after the lock"));

        var closed = await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Closed, "the cycle to close");
        closed.EnvironmentsDeleted.ShouldBe(1);
        await Eventually.TrueAsync(async () => (await InventoryAsync(keyAdmin, tenant)).Keys.Single(k => k.Name == "k1").State == TenantKeyState.Deleted,
            "the ring's lock to end");
        // KeyService learns the deletion (its count of locked environments) on its own: a fresh key and name each try.
        await Eventually.TrueAsync(async () => (await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyForm(NewPfx().Pfx, ("name", $"k2-{Guid.NewGuid():N}"), ("acknowledgeRisk", "true")))).StatusCode == HttpStatusCode.Created,
            "an upload to be allowed once the lock ended");
        (await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys", KeyForm(pfx, ("name", "k1 again"), ("acknowledgeRisk", "true"))))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    [Trait("Rule", "L3")]
    [Trait("Rule", "L7")]
    public async Task A_redelivered_old_EnvironmentEncryptionChanged_does_not_revive_a_deleted_environment_nor_put_it_on_the_lock_L3_L7()
    {
        var (pfx, _) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        clock.SetUtcNow((await InventoryAsync(keyAdmin, tenant)).LastActivatedAt!.Value + TimeSpan.FromHours(72));
        var store = locks.Services.GetRequiredService<Marten.IDocumentStore>();
        await using var environments = await TestBus.StartAsync(broker, Sender.EnvironmentEncryption);
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        var stream = $"environment:{environment}";
        var underTenantKey = new KeyPlatform.Contracts.Environments.EnvironmentEncryptionChanged(tenant, Region, environment, "Revenant",
            KeyPlatform.Contracts.Environments.EnvironmentProtection.TenantKey, "k1", "Active", clock.GetUtcNow());
        var old = await environments.PublishFromStreamAsync(underTenantKey, stream, 3);
        await store.HandledAsync(old, "the environment under the tenant key (version 3)");
        var deletion = await environments.PublishFromStreamAsync(new KeyPlatform.Contracts.Environments.EnvironmentDeleted(tenant, Region,
            environment, clock.GetUtcNow(), "deregistered by the platform"), stream, 7);
        await store.HandledAsync(deletion, "the environment's deletion (version 7)");
        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete")).EnvironmentsTotal.ShouldBe(0);
        // A week on, the inbox no longer knows the old message; the broker hands it over again (moved back from an error
        // queue, say): only its version tells it is older than the deletion.
        clock.Advance(TimeSpan.FromDays(8));
        (await locks.Services.GetRequiredService<KeyPlatform.ServiceDefaults.Persistence.Retention>().PruneAsync()).ShouldBeGreaterThan(0);

        var redelivered = await environments.PublishFromStreamAsync(underTenantKey, stream, 3, messageId: old);
        await store.HandledAsync(redelivered, "the redelivered version 3");

        await using (var query = store.QuerySession())
        {
            (await query.LoadAsync<KeyPlatform.TenantLock.Facts.EnvironmentFacts>(environment))!.State.ShouldBe("Deleted");
            (await query.EnvironmentsUnderTenantKeyAsync(tenant, Region, CancellationToken.None)).ShouldBeEmpty();
        }
        var after = await ProgressWhenAsync(lockAdmin, tenant, _ => true, "the lock progress");
        after.Phase.ShouldBe(LockPhase.Locked);
        after.EnvironmentsTotal.ShouldBe(0);
        after.EnvironmentsNotLocked.ShouldBeEmpty();
    }

    private static async Task<byte[]> ForgedByokAsync(HttpClient keyAdmin, RSA publicKeyOwner)
    {
        var kek = (await keyAdmin.GetFromJsonAsync<KeyExchangeKeyInfo>($"/v1/regions/{Region}/key-exchange-key", Json))!;
        using var kekPublic = RSA.Create();
        kekPublic.ImportFromPem(kek.PublicKeyPem);
        return ByokFile.Create(ForgedKeys.Pkcs8WithMadeUpPrivateFields(publicKeyOwner), kekPublic, kek.Kid);
    }

    private static MultipartFormDataContent ByokForm(byte[] byok, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(byok), "file", "key.byok" } };
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    [Fact]
    [Trait("Rule", "L1")]
    [Trait("Rule", "U1")]
    public async Task A_byok_with_the_locking_keys_public_key_and_made_up_private_fields_neither_locks_nor_unlocks_L1_U1()
    {
        var (pfx, key) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        clock.Advance(TimeSpan.FromHours(73));
        var forged = await ForgedByokAsync(keyAdmin, key);

        var lockRefused = await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/lock",
            ByokForm(forged, ("confirmationText", TenantLockDecider.ConfirmationText(tenant, Region)), ("acknowledgeRisk", "true")));

        lockRefused.StatusCode.ShouldBe(HttpStatusCode.Conflict, await lockRefused.Content.ReadAsStringAsync());
        var lockProblem = await ProblemOf(lockRefused);
        lockProblem.Rule.ShouldBe(Rules.L1);
        lockProblem.Detail!.ShouldContain("does not match its public key");
        (await lockAdmin.GetAsync($"/v1/tenants/{tenant}/regions/{Region}/lock")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await InventoryAsync(keyAdmin, tenant)).Keys.Single().State.ShouldBe(TenantKeyState.Active);

        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete");
        clock.Advance(TimeSpan.FromHours(2));

        var unlockRefused = await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", ByokForm(forged, ("acknowledgeRisk", "true")));

        unlockRefused.StatusCode.ShouldBe(HttpStatusCode.Conflict, await unlockRefused.Content.ReadAsStringAsync());
        var unlockProblem = await ProblemOf(unlockRefused);
        unlockProblem.Rule.ShouldBe(Rules.U1);
        unlockProblem.Detail!.ShouldContain("does not match its public key");
        (await InventoryAsync(keyAdmin, tenant)).Keys.Single().State.ShouldBe(TenantKeyState.Locked);
        (await lockAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/unlock", KeyForm(pfx, ("acknowledgeRisk", "true"))))
            .StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    [Trait("Rule", "K10")]
    public async Task An_admin_activating_a_key_while_another_locks_ends_consistent_with_one_of_them_refused_K10_L2()
    {
        var (pfx, _) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        var (secondPfx, _) = NewPfx();
        var second = await (await keyAdmin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyForm(secondPfx, ("name", "k2"), ("acknowledgeRisk", "true")))).Content.ReadFromJsonAsync<JsonElement>();
        clock.Advance(TimeSpan.FromDays(4));

        var lockTask = LockAsync(lockAdmin, tenant, pfx);
        var activateTask = keyAdmin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/{second.GetProperty("keyId").GetString()}/activate",
            new { acknowledgeRisk = true });
        var (lockResponse, activation) = (await lockTask, await activateTask);

        var inventory = await Eventually.GetAsync(async () =>
        {
            var view = await InventoryAsync(keyAdmin, tenant);
            return view.Keys.Any(k => k.State == TenantKeyState.Installing) ? null : view;
        }, "no key installing");
        if (lockResponse.StatusCode == HttpStatusCode.Conflict)
        {
            // The activation won before the saga decided: the lock is refused at once, nothing is locked.
            (await ProblemOf(lockResponse)).Rule.ShouldBeOneOf(Rules.L1, Rules.L2);
            activation.StatusCode.ShouldBe(HttpStatusCode.Accepted);
            inventory = await Eventually.GetAsync(async () =>
            {
                var view = await InventoryAsync(keyAdmin, tenant);
                return view.Keys.Single(k => k.Name == "k2").State == TenantKeyState.Active ? view : null;
            }, "k2 to be Active");
            inventory.Keys.Single(k => k.Name == "k1").State.ShouldBe(TenantKeyState.Available);
            return;
        }

        lockResponse.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var settled = await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase is LockPhase.Locked or LockPhase.Refused, "the lock to settle");
        inventory = await Eventually.GetAsync(async () =>
        {
            var view = await InventoryAsync(keyAdmin, tenant);
            return view.Keys.Any(k => k.State == TenantKeyState.Installing) ? null : view;
        }, "no key installing");
        if (settled.Phase == LockPhase.Refused)
        {
            // The activation won at KeyService after the saga accepted: KeyService refused the lock.
            activation.StatusCode.ShouldBe(HttpStatusCode.Accepted);
            inventory.Keys.Single(k => k.Name == "k2").State.ShouldBe(TenantKeyState.Active);
            settled.RefusalRule.ShouldBeOneOf(Rules.L1, Rules.L2);
        }
        else
        {
            // The lock won: the activation is refused and both keys are out of the vault.
            activation.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await ProblemOf(activation)).Rule.ShouldBe(Rules.K10);
            inventory.Keys.Single(k => k.Name == "k1").State.ShouldBe(TenantKeyState.Locked);
            inventory.Keys.Single(k => k.Name == "k2").State.ShouldBe(TenantKeyState.Deleted);
        }
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task A_TenantKeyLockRefused_not_sent_by_KeyService_leaves_the_lock_cycle_as_it_is_X2_L5()
    {
        var (pfx, _) = NewPfx();
        var (tenant, keyAdmin, lockAdmin) = await TenantWithActiveKeyAsync(pfx);
        clock.SetUtcNow((await InventoryAsync(keyAdmin, tenant)).LastActivatedAt!.Value + TimeSpan.FromHours(72));
        (await LockAsync(lockAdmin, tenant, pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var locked = await ProgressWhenAsync(lockAdmin, tenant, p => p.Phase == LockPhase.Locked, "the lock to complete");
        await using var platform = await TestBus.StartAsync(broker, Sender.PlatformService);
        var forgedId = MassTransit.NewId.NextGuid();

        await platform.SendAsync(Queues.TenantLock, new TenantKeyLockRefused(tenant, Region, locked.LockCycleId, Rules.L2, "forged",
            null, clock.GetUtcNow()), token: null, context => context.MessageId = forgedId);

        var faulted = await Eventually.GetAsync(async () =>
            (await broker.Management.PeekAsync(broker.VirtualHost, Queues.TenantLock + "_error"))
            .FirstOrDefault(m => m.Payload.Contains(forgedId.ToString(), StringComparison.Ordinal)), "the forged refusal in the error queue");
        faulted.Header("MT-Fault-Message")!.ShouldContain("may be sent only by KeyService");
        var after = await ProgressWhenAsync(lockAdmin, tenant, _ => true, "the lock progress");
        after.Phase.ShouldBe(LockPhase.Locked);
        after.RefusalRule.ShouldBeNull();
        after.ClosedAt.ShouldBeNull();
    }

    private async Task<string> VaultKeyIdOfAsync(string tenant)
    {
        await using var session = keys.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        var ring = await session.LoadAsync<KeyPlatform.KeyService.TenantKeys.TenantKeyRing>(
            KeyPlatform.KeyService.TenantKeys.TenantKeyRing.StreamKey(tenant, Region));
        return ring!.Keys.Single(k => k.Name == "k1").VaultKeyId;
    }
}

public sealed record Problem(string? Type, string? Title, int Status, string? Detail, string? Rule, DateTimeOffset? AllowedAt);
