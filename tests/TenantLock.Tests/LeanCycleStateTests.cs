using System.Text.Json;
using System.Text.RegularExpressions;
using KeyPlatform.TenantLock.TenantLocks;

namespace TenantLock.Tests;

/// <summary>Issue 12: the cycle's decision state keeps counts, not lists, so a confirmation costs the same at any size.</summary>
public sealed class LeanCycleStateTests
{
    private const string Cycle = "tenant-lock:contoso:europe:1";
    private static readonly DateTimeOffset T0 = new(2026, 2, 6, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Given a lock of <paramref name="n"/> environments, When each confirms (decided one by one, as the saga does),
    /// Then the state after the last one.</summary>
    private static TenantLockCycle LockedThrough(int n)
    {
        var ids = Enumerable.Range(0, n).Select(i => $"env-{i}").ToList();
        var saga = LockSaga.Given(new LockRequested("contoso", "europe", Cycle, "thumb-k1", "admin", T0, T0.AddDays(28)),
            new KeyRingLockConfirmed(T0), new EnvironmentLocksRequested(ids, T0), new KeysDeleted("k1", 1, T0));
        foreach (var id in ids)
            foreach (var e in TenantLockDecider.Decide(saga, new ObserveEnvironmentLocked(id), saga.StatusOf(id), T0).Events)
                saga = saga.Apply(e);
        saga.Phase.ShouldBe(LockPhase.Locked);
        return saga.Cycle;
    }

    private static string Serialised(TenantLockCycle cycle) => JsonSerializer.Serialize(cycle);

    [Fact]
    [Trait("Rule", "L3")]
    public void The_cycle_state_after_10000_confirmations_is_the_size_of_the_state_after_10_but_for_the_digits_of_its_counts_L3_L4()
    {
        var ten = Serialised(LockedThrough(10));
        var tenThousand = Serialised(LockedThrough(10_000));

        Regex.Replace(tenThousand, "10000", "10").ShouldBe(ten);
        (tenThousand.Length - ten.Length).ShouldBeLessThanOrEqualTo(3 * 3); // the digits of three counts: 10 -> 10000
    }

    [Fact]
    [Trait("Rule", "L4")]
    public void A_repeated_confirmation_of_an_environment_already_counted_decides_nothing_L4()
    {
        var saga = LockSaga.Given(new LockRequested("contoso", "europe", Cycle, "thumb-k1", "admin", T0, T0.AddDays(28)),
            new KeyRingLockConfirmed(T0), new EnvironmentLocksRequested(["env-a", "env-b"], T0));
        var first = TenantLockDecider.Decide(saga, new ObserveEnvironmentLocked("env-a"), saga.StatusOf("env-a"), T0).Events.ShouldHaveSingleItem();
        var after = saga.Apply(first);

        TenantLockDecider.Decide(after, new ObserveEnvironmentLocked("env-a"), after.StatusOf("env-a"), T0).Events.ShouldBeEmpty();
        after.Cycle.Environments.ShouldBe(new LockCycleCounts(Listed: 2, NotYetLocked: 1, Locked: 1, StillLocked: 1, Unlocked: 0, Deleted: 0));
        after.NotYetLocked.ShouldBe(["env-b"]);
        after.StillLocked.ShouldBe(["env-a"]);
    }
}
