using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace KeyService.IntegrationTests;

/// <summary>Other platform services drive KeyService over RabbitMQ (S2) and tell it about locked environments.</summary>
public sealed class KeyCommandsOverTheBusTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    private const string Region = "europe";

    private IBus Bus => fixture.Host.Services.GetRequiredService<IBus>();

    /// <summary>As another platform service acting for <paramref name="actor"/>, with the actor's token.</summary>
    private Task<Guid> SendAsync<T>(T command, Actor actor) where T : class =>
        fixture.PlatformBus.SendAsync(Queues.KeyService, command, fixture.TokenOf(actor));

    private static Actor AdminOf(string tenant) =>
        new($"admin@{tenant}", tenant, new HashSet<string> { PlatformRoles.PowerPlatformAdmin }, new HashSet<string>());

    private async Task<byte[]> ByokAsync(RSA key)
    {
        var kek = await fixture.Host.Services.GetRequiredService<IKeyVault>().GetOrCreateKeyExchangeKeyAsync(Region);
        using var kekPublic = RSA.Create();
        kekPublic.ImportFromPem(kek.PublicKeyPem);
        return ByokFile.Create(key.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);
    }

    [Fact]
    [Trait("Rule", "S2")]
    public async Task A_byok_upload_sent_over_RabbitMQ_produces_the_same_events_as_over_HTTP_S2()
    {
        await using var added = await BusProbe<TenantKeyAdded>.StartAsync(Bus);
        await using var activated = await BusProbe<TenantKeyActivated>.StartAsync(Bus);
        var (overBus, _) = await fixture.EnabledTenantAsync();
        var (overHttp, httpAdmin) = await fixture.EnabledTenantAsync();
        using var busKey = RSA.Create(2048);
        using var httpKey = RSA.Create(2048);

        await SendAsync(new UploadTenantKeyByok(overBus, Region, "hsm key", await ByokAsync(busKey), AcknowledgeRisk: true), AdminOf(overBus));
        (await httpAdmin.PostAsync($"/v1/tenants/{overHttp}/regions/{Region}/keys",
            KeyFiles.Upload("hsm key", await ByokAsync(httpKey), "key.byok", null))).StatusCode.ShouldBe(HttpStatusCode.Created);

        foreach (var (tenant, key) in new[] { (overBus, busKey), (overHttp, httpKey) })
        {
            var add = await added.WaitForAsync(e => e.TenantId == tenant, $"TenantKeyAdded of {tenant}");
            add.Message.Source.ShouldBe(TenantKeySource.UploadedByok);
            add.Message.Thumbprint.ShouldBe(KeyFiles.Thumbprint(key));
            add.Message.Name.ShouldBe("hsm key");
            var active = await activated.WaitForAsync(e => e.TenantId == tenant, $"TenantKeyActivated of {tenant}");
            active.Message.Thumbprint.ShouldBe(KeyFiles.Thumbprint(key));
            active.Message.PreviousKeyId.ShouldBeNull();
        }
    }

    [Fact]
    [Trait("Rule", "K9")]
    public async Task An_activation_refused_over_the_bus_publishes_a_refusal_with_the_rule_and_the_allowed_time_K9()
    {
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(Bus);
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        using var first = RSA.Create(2048);
        using var second = RSA.Create(2048);
        await SendAsync(new UploadTenantKeyByok(tenant, Region, "first", await ByokAsync(first), true), AdminOf(tenant));
        await SendAsync(new UploadTenantKeyByok(tenant, Region, "second", await ByokAsync(second), true), AdminOf(tenant));
        var inventory = await Eventually.GetAsync(async () =>
        {
            // 404 until the first upload has been handled (the commands cross the bus).
            using var response = await admin.GetAsync($"/v1/tenants/{tenant}/regions/{Region}/keys");
            var view = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<KeyInventoryView>(Json.Options) : null;
            return view is { Keys.Count: 2, LastActivatedAt: not null } ? view : null;
        }, "both keys, the first active");
        var commandId = await SendAsync(new ActivateTenantKey(tenant, Region, inventory.Keys.Single(k => k.Name == "second").KeyId, true), AdminOf(tenant));

        var refused = await refusals.WaitForAsync(r => r.CommandId == commandId, "the K9 refusal");
        refused.Message.Rule.ShouldBe(Rules.K9);
        refused.Message.AllowedAt.ShouldBe(inventory.NextActivationAllowedAt);
    }

    [Fact]
    [Trait("Rule", "K11")]
    public async Task While_an_environment_is_locked_no_key_can_be_added_and_once_unlocked_it_can_K11_U3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        await fixture.EnvironmentsBus.PublishAsync(new EnvironmentLocked(tenant, Region, environment, fixture.Host.Clock.GetUtcNow(), "cycle-1"));

        var refused = await Eventually.GetAsync(async () =>
        {
            var (probe, _) = KeyFiles.DotNetPfx("a long enough password");
            var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
                KeyFiles.Upload($"probe-{Guid.NewGuid():N}", probe, "probe.pfx", "a long enough password"));
            var problem = await response.Content.ReadFromJsonAsync<Problem>(Json.Options);
            return problem?.Rule == Rules.K11 ? problem : null;
        }, "the locked environment to be known");
        refused.Detail!.ShouldContain("1 locked");

        await fixture.EnvironmentsBus.PublishAsync(new EnvironmentUnlocked(tenant, Region, environment, fixture.Host.Clock.GetUtcNow()));
        // A fresh key and name each try: an upload that got in before the lock was known must not make later tries
        // fail for another reason (same name, same key material).
        await Eventually.TrueAsync(async () =>
        {
            var (pfx, _) = KeyFiles.DotNetPfx("a long enough password");
            var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
                KeyFiles.Upload($"key-{Guid.NewGuid():N}", pfx, "key.pfx", "a long enough password"));
            return response.StatusCode == HttpStatusCode.Created;
        }, "the upload to be allowed after the unlock");
    }

    [Fact]
    [Trait("Rule", "K1")]
    public async Task An_environment_locked_in_one_region_holds_K11_there_only_K1_K11()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        await fixture.EnvironmentsBus.PublishAsync(new EnvironmentLocked(tenant, Region, $"env-{TestInfrastructure.UniqueSuffix()}",
            fixture.Host.Clock.GetUtcNow(), "cycle-1"));
        await Eventually.TrueAsync(async () =>
        {
            var (probe, _) = KeyFiles.DotNetPfx("a long enough password");
            var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
                KeyFiles.Upload($"probe-{Guid.NewGuid():N}", probe, "probe.pfx", "a long enough password"));
            return (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))?.Rule == Rules.K11;
        }, "the locked environment to be known");

        var (pfx, _) = KeyFiles.DotNetPfx("a long enough password");
        var elsewhere = await admin.PostAsync($"/v1/tenants/{tenant}/regions/unitedstates/keys",
            KeyFiles.Upload("us-key", pfx, "key.pfx", "a long enough password"));

        elsewhere.StatusCode.ShouldBe(HttpStatusCode.Created, await elsewhere.Content.ReadAsStringAsync());
    }

    [Fact]
    [Trait("Rule", "K10")]
    public async Task While_an_environment_is_locked_the_active_key_cannot_change_K10()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("first", KeyFiles.Fixture("rsa2048.pfx"), "first.pfx", KeyFiles.FixturePassword));
        var (pfx, _) = KeyFiles.DotNetPfx("another long password");
        var second = await (await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("second", pfx, "second.pfx", "another long password"))).Content.ReadFromJsonAsync<KeyPlatform.KeyService.TenantKeys.Uploading.UploadedTenantKey>();
        await fixture.EnvironmentsBus.PublishAsync(new EnvironmentLocked(tenant, Region, "env-1", fixture.Host.Clock.GetUtcNow(), "cycle-1"));
        await Eventually.TrueAsync(async () =>
        {
            var (probe, _) = KeyFiles.DotNetPfx("a long enough password");
            var upload = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
                KeyFiles.Upload($"probe-{Guid.NewGuid():N}", probe, "probe.pfx", "a long enough password"));
            return (await upload.Content.ReadFromJsonAsync<Problem>(Json.Options))?.Rule == Rules.K11;
        }, "the locked environment to be known");
        fixture.Host.Clock.Advance(TimeSpan.FromDays(2));

        var response = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/{second!.KeyId}/activate",
            new { acknowledgeRisk = true });

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!;
        problem.Rule.ShouldBe(Rules.K10);
        problem.Detail!.ShouldContain("locked");
    }
}
