using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using KeyPlatform.Contracts;
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
using Npgsql;

namespace KeyService.IntegrationTests;

/// <summary>X3: a tenant, region or environment id in any spelling but its canonical one is refused at the edge, over
/// HTTP and over the bus, and leaves nothing behind: no second key ring, no key in the vault.</summary>
public sealed class CanonicalIdsTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    private const string Region = "europe";
    private const string Password = "a long enough password";

    /// <summary>The spellings of "europe" that once made a second ring (the route is URL-encoded).</summary>
    public static TheoryData<string> OtherSpellingsOfEurope => new() { " europe", "Europe ", "europe\u00a0", "Europe", "europe\n" };

    private IBus Bus => fixture.Host.Services.GetRequiredService<IBus>();

    [Theory]
    [Trait("Rule", "X3")]
    [MemberData(nameof(OtherSpellingsOfEurope))]
    public async Task A_second_ring_by_another_spelling_of_the_region_is_refused_over_HTTP_and_nothing_is_stored_X3(string region)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        (await Generate(admin, tenant, Region, "first")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var before = await CountsAsync(tenant);

        var response = await Generate(admin, tenant, region, "second ring");

        await ShouldBeRefusedByX3(response);
        (await CountsAsync(tenant)).ShouldBe(before);
        before.ShouldBe((Streams: 1, VaultKeys: 1));
        var inventory = await admin.GetFromJsonAsync<KeyInventoryView>($"/v1/tenants/{tenant}/regions/{Region}/keys", Json.Options);
        inventory!.Keys.Select(k => k.Name).ShouldBe(["first"]);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [MemberData(nameof(OtherSpellingsOfEurope))]
    public async Task An_upload_to_another_spelling_of_the_region_is_refused_X3(string region)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var (pfx, _) = KeyFiles.DotNetPfx(Password);

        var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Uri.EscapeDataString(region)}/keys",
            KeyFiles.Upload("key", pfx, "key.pfx", Password));

        await ShouldBeRefusedByX3(response);
        (await CountsAsync(tenant)).ShouldBe((0, 0));
    }

    [Fact]
    [Trait("Rule", "X3")]
    public async Task A_configured_region_in_its_canonical_form_is_accepted_X3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();

        (await Generate(admin, tenant, "unitedstates", "us key")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    [Trait("Rule", "X3")]
    public async Task A_region_that_is_not_configured_is_refused_with_the_known_regions_X3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();

        var response = await Generate(admin, tenant, "made-up", "key");

        var problem = await ShouldBeRefusedByX3(response);
        problem.Detail!.ShouldContain("not a configured region");
        problem.Detail!.ShouldContain("europe");
        (await CountsAsync(tenant)).ShouldBe((0, 0));
    }

    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("made-up")]
    [InlineData("Europe")]
    [InlineData(" europe")]
    public async Task No_key_exchange_key_is_made_for_a_region_that_is_not_configured_X3(string region)
    {
        var client = fixture.Host.ClientFor("contoso", PlatformRoles.PowerPlatformAdmin);
        (await client.GetAsync($"/v1/regions/{Region}/key-exchange-key")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var response = await client.GetAsync($"/v1/regions/{Uri.EscapeDataString(region)}/key-exchange-key");

        await ShouldBeRefusedByX3(response);
        (await VaultRowsAsync("region = @region", ("region", region))).ShouldBe(0);
        (await VaultRowsAsync("purpose = @purpose and region <> @europe", ("purpose", "key-exchange"), ("europe", Region))).ShouldBe(0);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("Contoso")]
    [InlineData(" contoso")]
    [InlineData("con:toso")]
    public async Task Reads_with_a_tenant_id_that_is_not_canonical_are_refused_X3(string tenant)
    {
        var response = await fixture.Host.OperatorClient().GetAsync($"/v1/tenants/{Uri.EscapeDataString(tenant)}/keys");

        await ShouldBeRefusedByX3(response);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [MemberData(nameof(OtherSpellingsOfEurope))]
    public async Task A_byok_upload_over_the_bus_for_another_spelling_of_the_region_is_refused_and_nothing_is_stored_X3(string region)
    {
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(Bus);
        var (tenant, _) = await fixture.EnabledTenantAsync();
        using var key = RSA.Create(2048);
        var commandId = Guid.NewGuid();

        await SendAsync(new UploadTenantKeyByok(tenant, region, "over the bus", await ByokAsync(key), AcknowledgeRisk: true), tenant, commandId);

        var refused = await refusals.WaitForAsync(r => r.CommandId == commandId, "the X3 refusal");
        refused.Message.Rule.ShouldBe(Rules.X3);
        (await CountsAsync(tenant)).ShouldBe((0, 0));
    }

    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("Tenant-x")]
    [InlineData("tenant x")]
    [InlineData("tenant:x")]
    public async Task A_bus_command_with_a_tenant_id_that_is_not_canonical_is_refused_X3(string tenant)
    {
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(Bus);
        var commandId = Guid.NewGuid();

        await SendAsync(new ActivateTenantKey(tenant, Region, "k1", AcknowledgeRisk: true), tenant, commandId);

        var refused = await refusals.WaitForAsync(r => r.CommandId == commandId, "the X3 refusal");
        refused.Message.Rule.ShouldBe(Rules.X3);
        refused.Message.Reason.ShouldContain("tenant id");
    }

    [Fact]
    [Trait("Rule", "X3")]
    public async Task A_lock_of_another_spelling_of_the_region_sent_over_the_bus_is_refused_to_the_saga_X3()
    {
        await using var refusals = await BusProbe<TenantKeyLockRefused>.StartAsync(Bus);
        var (tenant, _) = await fixture.EnabledTenantAsync();
        var cycle = $"tenant-lock:{tenant}:europe:1";
        await fixture.SagaBus.SendAsServiceAsync(Queues.KeyService, new LockTenantKeys(tenant, "Europe", cycle, "thumb"),
            Actor.Service(Sender.TenantLock));

        var refused = await refusals.WaitForAsync(r => r.LockCycleId == cycle, "the X3 refusal of the lock");
        refused.Message.Rule.ShouldBe(Rules.X3);
        (await CountsAsync(tenant)).ShouldBe((0, 0));
    }

    private static Task<HttpResponseMessage> Generate(HttpClient admin, string tenant, string region, string name) =>
        admin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Uri.EscapeDataString(region)}/keys/generate",
            new { name, password = Password, confirmPassword = Password, acknowledgeRisk = true });

    private static async Task<Problem> ShouldBeRefusedByX3(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Json.Options))!;
        problem.Rule.ShouldBe(Rules.X3);
        return problem;
    }

    /// <summary>As another platform service, with a token of the tenant's admin.</summary>
    private async Task SendAsync<T>(T command, string tenant, Guid messageId) where T : class
    {
        var admin = new Actor($"admin@{tenant}", tenant, new HashSet<string> { PlatformRoles.PowerPlatformAdmin }, new HashSet<string>());
        await fixture.PlatformBus.SendAsync(Queues.KeyService, command, fixture.TokenOf(admin), context => context.MessageId = messageId);
    }

    private async Task<byte[]> ByokAsync(RSA key)
    {
        var kek = await fixture.Host.Services.GetRequiredService<IKeyVault>().GetOrCreateKeyExchangeKeyAsync(Region);
        using var kekPublic = RSA.Create();
        kekPublic.ImportFromPem(kek.PublicKeyPem);
        return ByokFile.Create(key.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);
    }

    /// <summary>Every stream whose key names the tenant (any spelling of any region), and every vault key named for it.</summary>
    private async Task<(long Streams, long VaultKeys)> CountsAsync(string tenant)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var streams = new NpgsqlCommand(
            $"select count(*) from \"{fixture.Host.Schema}\".mt_streams where id like 'tenant-key:' || @tenant || '%'", connection);
        streams.Parameters.AddWithValue("tenant", tenant);
        return ((long)(await streams.ExecuteScalarAsync())!, await VaultRowsAsync("name like @tenant || '/%'", ("tenant", tenant)));
    }

    private async Task<long> VaultRowsAsync(string where, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from \"{fixture.Broker.Schema("vault")}\".keys where {where}", connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
