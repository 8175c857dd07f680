using System.Net.Http.Json;
using KeyPlatform.ServiceDefaults.Faults;
using KeyPlatform.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.EndToEndTests;

/// <summary>
/// V1, no orphan key material: KeyService really dies (a fault point, docs/decisions/0022) after the vault holds the new key
/// and before its ring records it. The key is then in the store and in no ring; once KeyService is back and its clock is
/// past the grace period, the reconciliation deletes it, and the key the ring does know stays.
/// </summary>
public sealed class OrphanKeyCrashTests
{
    private const string KeyImported = "key-service.key-imported";

    public static TheoryData<string> Additions => new() { "upload", "generate" };

    [Theory]
    [MemberData(nameof(Additions))]
    [Trait("Rule", "V1")]
    public async Task KeyService_killed_between_the_vault_and_the_ring_leaves_an_orphan_the_reconciliation_deletes_and_the_ring_key_stays_V1(
        string addition)
    {
        // Armed from the start: the first key added passes the point, the second one kills the process there.
        await using var system = await RunningSystem.StartAsync(new Dictionary<string, string>
        {
            [FaultPoints.CrashKey.Replace(":", "__", StringComparison.Ordinal)] = KeyImported,
            [FaultPoints.CrashAtHitKey.Replace(":", "__", StringComparison.Ordinal)] = "2",
        });
        var story = new TenantStory(system);
        await story.EnableAsync();
        await story.UploadActiveKeyAsync(TenantStory.NewKey().Pfx);
        await using var vault = SystemVault.Open(TestInfrastructure.PostgresConnectionString, system.Schema("vault"));
        var keys = vault.GetRequiredService<IKeyVault>();
        var ringKey = (await StoredAsync(keys, story.Tenant)).ShouldHaveSingleItem();

        await Should.ThrowAsync<HttpRequestException>(() => AddAsync(story, addition, "k2"));
        await Eventually.TrueAsync(() => Task.FromResult(system.Keys.HasExited), "KeyService to be dead");
        // The output is read asynchronously: its last lines may arrive after the exit.
        await Eventually.TrueAsync(() => Task.FromResult(system.Keys.Output.Contains($"Fault point '{KeyImported}' reached", StringComparison.Ordinal)),
            "KeyService's output to name the fault point it died at");
        var stored = await StoredAsync(keys, story.Tenant);
        stored.Count.ShouldBe(2, "the vault holds the key the dead process imported");
        var orphan = stored.Single(k => k != ringKey);

        await system.Keys.StartAsync(new Dictionary<string, string>
        {
            [FaultPoints.CrashKey.Replace(":", "__", StringComparison.Ordinal)] = "",
            // Rounds every second of real time, so the round after the clock moves comes soon (the first runs at start-up).
            ["OrphanKeys__Interval"] = "00:00:01",
        });
        var ring = await story.KeysAsync();
        ring.ShouldHaveSingleItem().GetProperty("name").GetString().ShouldBe("k1", "the ring never knew the orphan");
        (await StoredAsync(keys, story.Tenant)).ShouldContain(orphan, "younger than the grace period, it may still be on its way");

        system.Advance(TimeSpan.FromHours(25));
        await Eventually.TrueAsync(async () => !(await StoredAsync(keys, story.Tenant)).Contains(orphan),
            "the reconciliation to delete the orphan", TimeSpan.FromSeconds(60));

        (await StoredAsync(keys, story.Tenant)).ShouldBe([ringKey], "a key the ring knows is never deleted");
        (await story.KeysAsync()).ShouldHaveSingleItem().GetProperty("state").GetString().ShouldBe("Active");
        await Eventually.TrueAsync(() => Task.FromResult(system.Keys.Output.Contains(orphan, StringComparison.Ordinal)),
            "the deletion to be logged with the key id");
    }

    private static Task<HttpResponseMessage> AddAsync(TenantStory story, string addition, string name) =>
        addition == "upload"
            ? story.KeyAdmin.PostAsync($"/v1/tenants/{story.Tenant}/regions/{story.Region}/keys",
                TenantStory.KeyForm(TenantStory.NewKey().Pfx, ("name", name), ("acknowledgeRisk", "true")))
            : story.KeyAdmin.PostAsJsonAsync($"/v1/tenants/{story.Tenant}/regions/{story.Region}/keys/generate", new
            {
                name, password = TenantStory.Password, confirmPassword = TenantStory.Password, acknowledgeRisk = true,
            });

    private static async Task<List<string>> StoredAsync(IKeyVault keys, string tenant) =>
        await keys.ListTenantKeysAsync().Where(k => k.Owner.TenantId == tenant).Select(k => k.KeyId).ToListAsync();
}
