using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Testing;

namespace KeyService.Tests.TenantKeys;

/// <summary>The ring's side of a tenant lock: L1, L2, L4, L5, U1, and K10/K11 while locked.</summary>
public sealed class TenantKeyLockDeciderTests
{
    private const string Tenant = "contoso";
    private const string Region = "europe";
    private static readonly DateTimeOffset T0 = new(2026, 2, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly TenantKeyRules Rules72h = new();
    private static readonly TenantKeyFacts Enabled = new(true, 0);

    private static KeyAdded Added(string keyId) =>
        new(Tenant, Region, keyId, $"key-{keyId}", $"thumb-{keyId}", $"vault-{keyId}", TenantKeySource.UploadedPfx, T0);

    /// <summary>k1 active since T0, k2 available, k3 failed.</summary>
    private static TenantKeyRing Ring() => Given.Events<TenantKeyRing>(
        Added("k1"), new KeyInstallationStarted("k1", T0), new KeyActivated("k1", "vault-k1", "thumb-k1", null, T0),
        Added("k2"), Added("k3"), new KeyInstallationStarted("k3", T0), new KeyInstallationFailed("k3", "bad", T0))!;

    private static LockTenantKeys Lock(string thumbprint = "thumb-k1") => new(Tenant, Region, "cycle-1", thumbprint);

    private static void ShouldBeRefusedBy(Decision decision, string rule)
    {
        decision.IsRefused.ShouldBeTrue($"expected a refusal by {rule}, got {decision}");
        decision.Refusal!.Rule.ShouldBe(rule);
    }

    [Fact]
    [Trait("Rule", "L2")]
    public void Given_a_key_activated_71h59_ago_When_locking_Then_refused_until_72h_L2()
    {
        var decision = TenantKeyDecider.Decide(Ring(), Lock(), Rules72h, T0.AddHours(72).AddMinutes(-1));

        ShouldBeRefusedBy(decision, Rules.L2);
        decision.Refusal!.AllowedAt.ShouldBe(T0.AddHours(72));
    }

    [Fact]
    [Trait("Rule", "L1")]
    public void Locking_with_a_key_that_is_not_the_Active_one_is_refused_L1() =>
        ShouldBeRefusedBy(TenantKeyDecider.Decide(Ring(), Lock("thumb-k2"), Rules72h, T0.AddDays(4)), Rules.L1);

    [Fact]
    [Trait("Rule", "L2")]
    public void Locking_while_a_key_is_installing_is_refused_L2()
    {
        var ring = Ring().Apply(new KeyInstallationStarted("k2", T0.AddDays(4)));
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, Lock(), Rules72h, T0.AddDays(4)), Rules.L2);
    }

    [Fact]
    [Trait("Rule", "L4")]
    public void Given_72h_passed_When_locking_with_the_Active_key_Then_every_Active_Available_and_Failed_key_is_to_be_deleted_L4()
    {
        var decision = TenantKeyDecider.Decide(Ring(), Lock(), Rules72h, T0.AddHours(72));

        var started = decision.Events.ShouldHaveSingleItem().ShouldBeOfType<KeyRingLockStarted>();
        started.LockingKeyId.ShouldBe("k1");
        started.KeyIds.ShouldBe(["k1", "k2", "k3"]);
    }

    [Fact]
    [Trait("Rule", "L4")]
    public void Given_a_Failed_key_When_the_lock_completes_Then_it_is_Deleted_like_the_Available_one_and_only_the_locking_key_is_Locked_L4()
    {
        var ring = Ring();
        var started = TenantKeyDecider.Decide(ring, Lock(), Rules72h, T0.AddHours(72)).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<KeyRingLockStarted>();
        ring = ring.Apply(started);

        var locked = TenantKeyDecider.Decide(ring, new CompleteKeyRingLock("cycle-1"), T0.AddHours(73)).Events
            .ShouldHaveSingleItem().ShouldBeOfType<KeyRingLocked>();
        var after = ring.Apply(locked);

        locked.DeletedKeyIds.ShouldBe(["k2", "k3"]);
        after.Find("k3")!.State.ShouldBe(TenantKeyState.Deleted);
        after.Find("k1")!.State.ShouldBe(TenantKeyState.Locked);
    }

    [Fact]
    [Trait("Rule", "L4")]
    public void When_the_vault_no_longer_holds_them_Then_the_locking_key_is_Locked_with_its_thumbprint_and_the_others_Deleted_L4()
    {
        var ring = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)));

        var locked = TenantKeyDecider.Decide(ring, new CompleteKeyRingLock("cycle-1"), T0.AddDays(3)).Events
            .ShouldHaveSingleItem().ShouldBeOfType<KeyRingLocked>();
        var after = ring.Apply(locked);

        locked.LockedThumbprint.ShouldBe("thumb-k1");
        after.Find("k1")!.State.ShouldBe(TenantKeyState.Locked);
        after.Find("k2")!.State.ShouldBe(TenantKeyState.Deleted);
        after.Find("k3")!.State.ShouldBe(TenantKeyState.Failed);
        after.Active.ShouldBeNull();
        TenantKeyDecider.Decide(after, new CompleteKeyRingLock("cycle-1"), T0.AddDays(3)).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "L5")]
    public void A_second_lock_while_one_runs_is_refused_and_the_same_lock_again_changes_nothing_L5()
    {
        var ring = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)));

        TenantKeyDecider.Decide(ring, Lock(), Rules72h, T0.AddDays(3)).Events.ShouldBeEmpty();
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, Lock() with { LockCycleId = "cycle-2" }, Rules72h, T0.AddDays(3)), Rules.L5);
    }

    [Fact]
    [Trait("Rule", "K10")]
    public void While_the_ring_is_locked_no_key_can_be_activated_or_added_K10_K11()
    {
        var ring = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)));

        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, new ActivateTenantKey(Tenant, Region, "k2", true), Enabled, Rules72h, T0.AddDays(5)), Rules.K10);
        TenantKeyDecider.CanAddKey(ring, Enabled, "new", "thumb-new", true)!.Rule.ShouldBe(Rules.K11);
    }

    [Fact]
    [Trait("Rule", "L5")]
    public void Reinstating_before_the_lock_finished_is_refused_L5()
    {
        var ring = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)));
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, new ReinstateTenantKey(Tenant, Region, "cycle-1", "thumb-k1", "vault-new"), T0.AddDays(4)), Rules.L5);
    }

    [Fact]
    [Trait("Rule", "U1")]
    public void Only_the_locking_key_is_reinstated_and_it_goes_Installing_with_its_new_vault_id_U1()
    {
        var ring = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)))
            .Apply(new KeyRingLocked("cycle-1", "k1", "thumb-k1", ["k2"], T0.AddDays(3)));

        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, new ReinstateTenantKey(Tenant, Region, "cycle-1", "thumb-k2", "vault-new"), T0.AddDays(4)), Rules.U1);
        var decision = TenantKeyDecider.Decide(ring, new ReinstateTenantKey(Tenant, Region, "cycle-1", "thumb-k1", "vault-new"), T0.AddDays(4));

        decision.Events.Count.ShouldBe(2);
        var after = ring.Apply((KeyReinstated)decision.Events[0]).Apply((KeyInstallationStarted)decision.Events[1]);
        after.Find("k1")!.State.ShouldBe(TenantKeyState.Installing);
        after.Find("k1")!.VaultKeyId.ShouldBe("vault-new");
        after.Lock.ShouldBeNull();
        TenantKeyDecider.Decide(after, new ReinstateTenantKey(Tenant, Region, "cycle-1", "thumb-k1", "vault-new"), T0.AddDays(4)).Events.ShouldBeEmpty();
    }
    [Fact]
    [Trait("Rule", "U1")]
    public void A_failed_install_of_the_reinstated_key_puts_the_lock_back_and_a_second_reinstatement_installs_it_again_U1_K10_K11()
    {
        var reinstated = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)))
            .Apply(new KeyRingLocked("cycle-1", "k1", "thumb-k1", ["k2"], T0.AddDays(3)))
            .Apply(new KeyReinstated("k1", "vault-new", "cycle-1", T0.AddDays(4)))
            .Apply(new KeyInstallationStarted("k1", T0.AddDays(4)));

        var failed = reinstated.Apply(new KeyInstallationFailed("k1", "The key is no longer in the vault.", T0.AddDays(4)));

        failed.Find("k1")!.State.ShouldBe(TenantKeyState.Failed);
        failed.Lock.ShouldNotBeNull().LockCycleId.ShouldBe("cycle-1");
        TenantKeyDecider.CanAddKey(failed, Enabled, "new", "thumb-new", true)!.Rule.ShouldBe(Rules.K11);
        ShouldBeRefusedBy(TenantKeyDecider.Decide(failed, new ActivateTenantKey(Tenant, Region, "k1", true), Enabled, Rules72h, T0.AddDays(5)),
            Rules.K7);
        var again = TenantKeyDecider.Decide(failed, new ReinstateTenantKey(Tenant, Region, "cycle-1", "thumb-k1", "vault-newer"), T0.AddDays(5));
        again.Events.Count.ShouldBe(2);
        var installing = failed.Apply((KeyReinstated)again.Events[0]).Apply((KeyInstallationStarted)again.Events[1]);
        installing.Find("k1")!.State.ShouldBe(TenantKeyState.Installing);
        installing.Find("k1")!.VaultKeyId.ShouldBe("vault-newer");
        var active = installing.Apply(new KeyActivated("k1", "vault-newer", "thumb-k1", null, T0.AddDays(5)));
        active.Lock.ShouldBeNull();
        active.Unlocking.ShouldBeNull();
    }
    [Fact]
    [Trait("Rule", "U3")]
    public void When_the_lock_cycle_closes_while_the_ring_is_still_locked_the_ring_lock_ends_and_keys_can_be_added_again_U3_K11()
    {
        var locked = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)))
            .Apply(new KeyRingLocked("cycle-1", "k1", "thumb-k1", ["k2"], T0.AddDays(3)));

        TenantKeyDecider.Decide(locked, new EndKeyRingLock("cycle-0"), T0.AddDays(31)).Events.ShouldBeEmpty();
        var ended = TenantKeyDecider.Decide(locked, new EndKeyRingLock("cycle-1"), T0.AddDays(31)).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<KeyRingLockEnded>();
        var after = locked.Apply(ended);

        after.Lock.ShouldBeNull();
        after.Find("k1")!.State.ShouldBe(TenantKeyState.Deleted);
        TenantKeyDecider.CanAddKey(after, Enabled, "again", "thumb-k1", true).ShouldBeNull();
        TenantKeyDecider.Decide(after, new EndKeyRingLock("cycle-1"), T0.AddDays(31)).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "U3")]
    public void A_cycle_that_closes_after_the_unlock_finds_the_ring_lock_gone_and_changes_nothing_U3()
    {
        var unlocked = Ring().Apply(new KeyRingLockStarted("cycle-1", "k1", ["k1", "k2"], T0.AddDays(3)))
            .Apply(new KeyRingLocked("cycle-1", "k1", "thumb-k1", ["k2"], T0.AddDays(3)))
            .Apply(new KeyReinstated("k1", "vault-new", "cycle-1", T0.AddDays(4))).Apply(new KeyInstallationStarted("k1", T0.AddDays(4)))
            .Apply(new KeyActivated("k1", "vault-new", "thumb-k1", null, T0.AddDays(4)));

        TenantKeyDecider.Decide(unlocked, new EndKeyRingLock("cycle-1"), T0.AddDays(5)).Events.ShouldBeEmpty();
        unlocked.Find("k1")!.State.ShouldBe(TenantKeyState.Active);
    }
}
