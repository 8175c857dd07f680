using System.Net.Http.Json;
using System.Net;
using System.Text;
using System.Text.Json;
using KeyPlatform.Contracts.TenantLocks;
using KeyPlatform.Vault.Pkcs11;
using MassTransit;
using Npgsql;

namespace KeyPlatform.EndToEndTests;

/// <summary>The three services as separate processes on real PostgreSQL and RabbitMQ, driven only through HTTP and
/// the contracts, with time moved for all of them through the clock-offset file (docs/decisions/0002).</summary>
public sealed class TenantLockStoryTests
{
    private static readonly byte[] Invoice = Encoding.UTF8.GetBytes("invoice 2026-0042: 1,200.00 EUR");
    private static readonly byte[] Contract = Encoding.UTF8.GetBytes("contract with Fabrikam, signed");

    /// <summary>The key stores the story runs on: the local default, and the SoftHSM token through the PKCS#11 adapter
    /// (V1), where the lock destroys the key object on the token (V2).</summary>
    public static TheoryData<string> Stores => new() { "local", "softhsm" };

    [Theory]
    [MemberData(nameof(Stores))]
    [Trait("Rule", "L1")]
    [Trait("Rule", "V1")]
    public async Task A_tenant_is_locked_after_72_hours_with_its_key_and_unlocked_again_with_the_same_data_L1_L2_L3_L6_U1_U2_D4_V1(string store)
    {
        var hsm = store == "softhsm" ? SoftHsm.FromEnvironment() : null;
        await using var system = await RunningSystem.StartAsync(hsm?.ServiceSettings());
        var story = new TenantStory(system);
        var (pfx, _) = TenantStory.NewKey();
        await story.EnableAsync();
        await story.UploadActiveKeyAsync(pfx);
        var activatedAt = await story.LastActivatedAtAsync();
        await story.AddEnvironmentsUnderTenantKeyAsync(2);
        var (first, second) = (story.Environments[0], story.Environments[1]);
        await story.WriteRecordAsync(first, "invoice", Invoice);
        await story.WriteRecordAsync(second, "contract", Contract);

        // L2: not within 72 hours of the key's activation, and the refusal says when.
        var tooEarly = await TenantStory.ProblemAsync(await story.LockAsync(pfx));
        tooEarly.Rule.ShouldBe("L2");
        tooEarly.AllowedAt.ShouldBe(activatedAt + TimeSpan.FromHours(72));

        system.Advance(TimeSpan.FromHours(72));
        var (otherPfx, _) = TenantStory.NewKey();
        (await TenantStory.ProblemAsync(await story.LockAsync(otherPfx))).Rule.ShouldBe("L1");
        if (hsm is not null)
            (await HsmHoldsAsync(hsm, await VaultKeyIdsAsync(system, story.Tenant))).ShouldNotBeEmpty("the active key is on the token before the lock");
        (await story.LockAsync(pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var locked = await story.LockProgressWhenAsync("Locked");
        locked.GetProperty("environmentsLocked").GetInt32().ShouldBe(2);
        locked.GetProperty("keysLocked").GetBoolean().ShouldBeTrue();
        (await story.KeysAsync()).Single().GetProperty("state").GetString().ShouldBe("Locked");

        // E6, D4: nothing releases the data key or reads the data any more.
        (await story.ReleaseDataKeyAsync(first)).IsSuccessStatusCode.ShouldBeFalse();
        (await story.ReadRecordAsync(first, "invoice")).IsSuccessStatusCode.ShouldBeFalse();
        // V1, V2: on the HSM the locked key's object is destroyed, not only forgotten by the ring.
        if (hsm is not null)
            (await HsmHoldsAsync(hsm, await VaultKeyIdsAsync(system, story.Tenant))).ShouldBeEmpty();

        // L6: not before an hour; U1: only the locking key.
        var unlockTooEarly = await TenantStory.ProblemAsync(await story.UnlockKeyAsync(pfx));
        unlockTooEarly.Rule.ShouldBe("L6");
        system.Advance(TimeSpan.FromHours(1));
        (await TenantStory.ProblemAsync(await story.UnlockKeyAsync(otherPfx))).Rule.ShouldBe("U1");
        (await story.UnlockKeyAsync(pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.TrueAsync(async () => (await story.KeysAsync()).Single().GetProperty("state").GetString() == "Active",
            "the locking key to be Active again");

        // U2: each environment stays locked until its own admin unlocks it.
        (await story.ReadRecordAsync(first, "invoice")).IsSuccessStatusCode.ShouldBeFalse();
        foreach (var environment in story.Environments)
        {
            var unlocked = await Eventually.GetAsync(async () =>
            {
                var response = await story.EnvironmentAdminOf(environment)
                    .PostAsync($"/v1/tenants/{story.Tenant}/environments/{environment}/unlock", null);
                return response.IsSuccessStatusCode ? response : null;
            }, $"{environment} to unlock (once the key is known active)");
            unlocked.IsSuccessStatusCode.ShouldBeTrue();
        }

        (await (await story.ReadRecordAsync(first, "invoice")).Content.ReadAsByteArrayAsync()).ShouldBe(Invoice);
        (await (await story.ReadRecordAsync(second, "contract")).Content.ReadAsByteArrayAsync()).ShouldBe(Contract);
        await story.LockProgressWhenAsync("Closed");
    }

    /// <summary>The vault key ids KeyService recorded for the tenant's keys (its <c>key_added</c> events).</summary>
    private static async Task<IReadOnlyList<string>> VaultKeyIdsAsync(RunningSystem system, string tenant)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT data->>'VaultKeyId' FROM {system.Schema("keys")}.mt_events WHERE type = 'key_added' AND data->>'TenantId' = @tenant",
            connection);
        command.Parameters.AddWithValue("tenant", tenant);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        ids.ShouldNotBeEmpty();
        return ids;
    }

    /// <summary>Which of <paramref name="vaultKeyIds"/> are still objects on the token, looked up by a vault of this
    /// test's own (another process than the services).</summary>
    private static async Task<IReadOnlyList<string>> HsmHoldsAsync(SoftHsm hsm, IReadOnlyList<string> vaultKeyIds)
    {
        using var vault = new Pkcs11KeyVault(new Pkcs11VaultOptions
        {
            Library = hsm.Library, TokenLabel = hsm.TokenLabel, Pin = hsm.Pin, Regions = ["europe"],
        }, TimeProvider.System);
        vault.Connect();
        var held = new List<string>();
        foreach (var id in vaultKeyIds)
            if (await vault.ExistsAsync(id)) held.Add(id);
        return held;
    }

    [Fact]
    [Trait("Rule", "L7")]
    public async Task Environments_still_locked_28_days_after_the_lock_are_deleted_after_two_warnings_L7()
    {
        await using var system = await RunningSystem.StartAsync();
        await using var listener = await ContractListener.StartAsync(system.VirtualHost);
        await using var warnings = await BusProbe<LockedEnvironmentsDeletionWarning>.StartAsync(listener.Bus);
        var story = new TenantStory(system);
        var (pfx, _) = TenantStory.NewKey();
        await story.EnableAsync();
        await story.UploadActiveKeyAsync(pfx);
        await story.AddEnvironmentsUnderTenantKeyAsync(2);
        var (unlockedOne, forgottenOne) = (story.Environments[0], story.Environments[1]);
        system.Advance(TimeSpan.FromHours(72));
        (await story.LockAsync(pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var locked = await story.LockProgressWhenAsync("Locked");
        var deletionDueAt = locked.GetProperty("deletionDueAt").GetDateTimeOffset();
        deletionDueAt.ShouldBe(locked.GetProperty("requestedAt").GetDateTimeOffset() + TimeSpan.FromDays(28));

        system.Advance(TimeSpan.FromHours(1));
        (await story.UnlockKeyAsync(pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.TrueAsync(async () =>
            (await story.EnvironmentAdminOf(unlockedOne).PostAsync($"/v1/tenants/{story.Tenant}/environments/{unlockedOne}/unlock", null))
            .IsSuccessStatusCode, "the first environment to unlock");
        await Eventually.TrueAsync(async () =>
            (await story.LockAdmin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{story.Tenant}/regions/{story.Region}/lock"))
            .GetProperty("environmentsUnlocked").GetInt32() == 1, "the saga to see the unlock");

        system.Advance(TimeSpan.FromDays(21));
        var sevenDays = await warnings.WaitForAsync(w => w.TenantId == story.Tenant && w.DaysLeft == 7, "the 7-day warning");
        sevenDays.Message.EnvironmentIds.ShouldBe([forgottenOne]);
        sevenDays.Message.DeletionDueAt.ShouldBe(deletionDueAt);
        system.Advance(TimeSpan.FromDays(6));
        await warnings.WaitForAsync(w => w.TenantId == story.Tenant && w.DaysLeft == 1, "the 1-day warning");
        (await story.ReadRecordAsync(unlockedOne, "missing")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        system.Advance(TimeSpan.FromDays(1));
        await story.LockProgressWhenAsync("Closed");
        var environments = await story.EnvironmentsAdmin.GetFromJsonAsync<JsonElement>(
            $"/v1/tenants/{story.Tenant}/environments?includeDeleted=true");
        var states = environments.GetProperty("environments").EnumerateArray()
            .ToDictionary(e => e.GetProperty("environmentId").GetString()!, e => e.GetProperty("state").GetString());
        states[forgottenOne].ShouldBe("Deleted");
        states[unlockedOne].ShouldBe("Active");
        warnings.Received.Count(w => w.Message.TenantId == story.Tenant).ShouldBe(2);
    }
}

/// <summary>Another platform service listening to our published contracts on the system's virtual host.</summary>
public sealed class ContractListener : IAsyncDisposable
{
    private ContractListener(IBusControl bus) => Bus = bus;

    public IBusControl Bus { get; }

    public static async Task<ContractListener> StartAsync(string virtualHost)
    {
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(TestInfrastructure.RabbitHost, TestInfrastructure.RabbitPort,
            virtualHost, host =>
            {
                host.Username(TestInfrastructure.RabbitUser);
                host.Password(TestInfrastructure.RabbitPassword);
            }));
        await bus.StartAsync();
        return new ContractListener(bus);
    }

    public async ValueTask DisposeAsync() => await Bus.StopAsync();
}
