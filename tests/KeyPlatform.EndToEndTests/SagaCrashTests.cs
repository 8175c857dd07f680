using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.EndToEndTests;

/// <summary>The saga's host killed (SIGKILL) in the middle of locking 500 environments: after a restart the lock
/// completes with every environment locked once and every key deleted.</summary>
public sealed class SagaCrashTests
{
    private const int EnvironmentCount = 500;

    [Fact]
    [Trait("Rule", "L3")]
    public async Task The_saga_host_killed_while_locking_500_environments_finishes_after_restart_with_each_locked_once_L3_L4_L5()
    {
        await using var system = await RunningSystem.StartAsync();
        var story = new TenantStory(system);
        var (pfx, _) = TenantStory.NewKey();
        await story.EnableAsync();
        await story.UploadActiveKeyAsync(pfx);
        await story.AddEnvironmentsUnderTenantKeyAsync(EnvironmentCount, parallelism: 16);
        system.Advance(TimeSpan.FromHours(72));

        (await story.LockAsync(pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var lockedWhenKilled = await Eventually.GetAsync<object>(async () =>
        {
            var response = await story.LockAdmin.GetAsync($"/v1/tenants/{story.Tenant}/regions/{story.Region}/lock");
            if (!response.IsSuccessStatusCode) return null;
            var locked = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("environmentsLocked").GetInt32();
            return locked > 0 ? locked : null;
        }, "the first environments to lock", TimeSpan.FromSeconds(60));
        system.Locks.Kill();
        ((int)lockedWhenKilled).ShouldBeLessThan(EnvironmentCount, "the kill must land in the middle of the lock");

        await system.Locks.StartAsync();
        var locked = await story.LockProgressWhenAsync("Locked");

        locked.GetProperty("environmentsLocked").GetInt32().ShouldBe(EnvironmentCount);
        locked.GetProperty("environmentsTotal").GetInt32().ShouldBe(EnvironmentCount);
        locked.GetProperty("keysLocked").GetBoolean().ShouldBeTrue();
        (await story.KeysAsync()).Single().GetProperty("state").GetString().ShouldBe("Locked");
        var environmentsOperator = system.Client(system.Environments, "*", PlatformRoles.PlatformOperator);
        foreach (var environment in story.Environments)
        {
            var events = await environmentsOperator.GetFromJsonAsync<JsonElement>($"/v1/operator/streams/environment:{environment}/events");
            var lockEvents = events.GetProperty("items").EnumerateArray()
                .Count(e => e.GetProperty("type").GetString()!.Replace("_", "", StringComparison.Ordinal)
                    .Equals("lockstarted", StringComparison.OrdinalIgnoreCase));
            lockEvents.ShouldBe(1, $"{environment} locked once");
        }
    }
}
