using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.TenantLock.TenantLocks;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;

namespace TenantLock.Tests;

/// <summary>The tenant-lock saga: Given its events, When a command or an observation, Then events or a refusal.</summary>
public sealed class TenantLockDeciderTests
{
    private const string Tenant = "contoso";
    private const string Region = "europe";
    private const string Cycle = "tenant-lock:contoso:europe:1";
    private static readonly DateTimeOffset KeyChangedAt = new(2026, 2, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T0 = KeyChangedAt.AddDays(4);
    private static readonly TenantLockRules Rules = new();
    private static readonly ActiveKeyFacts Keys = new("thumb-k1", KeyChangedAt);

    private static RequestLock Request(string thumbprint = "thumb-k1", string? confirmation = null, bool acknowledge = true) =>
        new(Tenant, Region, Cycle, thumbprint, confirmation ?? TenantLockDecider.ConfirmationText(Tenant, Region), acknowledge, "admin");

    private static readonly LockRequested Requested = new(Tenant, Region, Cycle, "thumb-k1", "admin", T0, T0.AddDays(28));

    /// <summary>Keys locked at KeyService, env-a and env-b asked to lock.</summary>
    private static LockSaga Locking() => LockSaga.Given(Requested, new KeyRingLockConfirmed(T0),
        new EnvironmentLocksRequested(["env-a", "env-b"], T0));

    private static LockSaga Locked() => Locking()
        .Apply(new EnvironmentLockConfirmed("env-a", T0)).Apply(new EnvironmentLockConfirmed("env-b", T0))
        .Apply(new KeysDeleted("k1", 2, T0)).Apply(new LockCompleted(2, 2, T0.AddMinutes(5)));

    private static void ShouldBeRefusedBy(Decision decision, string rule)
    {
        decision.IsRefused.ShouldBeTrue($"expected a refusal by {rule}, got {decision}");
        decision.Refusal!.Rule.ShouldBe(rule);
    }

    [Fact]
    [Trait("Rule", "L1")]
    public void Given_the_Active_key_and_the_typed_confirmation_When_locking_Then_the_cycle_starts_L1()
    {
        var decision = TenantLockDecider.Decide(null, Request(), Keys, Rules, T0);

        var requested = decision.Events.ShouldHaveSingleItem().ShouldBeOfType<LockRequested>();
        requested.Thumbprint.ShouldBe("thumb-k1");
        requested.DeletionDueAt.ShouldBe(T0.AddDays(28));
    }

    [Fact]
    [Trait("Rule", "L1")]
    public void Locking_with_another_key_or_the_wrong_confirmation_is_refused_L1()
    {
        ShouldBeRefusedBy(TenantLockDecider.Decide(null, Request(thumbprint: "thumb-other"), Keys, Rules, T0), KeyPlatform.Contracts.Rules.L1);
        ShouldBeRefusedBy(TenantLockDecider.Decide(null, Request(confirmation: "lock it"), Keys, Rules, T0), KeyPlatform.Contracts.Rules.L1);
        ShouldBeRefusedBy(TenantLockDecider.Decide(null, Request(), null, Rules, T0), KeyPlatform.Contracts.Rules.L1);
    }

    [Fact]
    [Trait("Rule", "A1")]
    public void Locking_without_acknowledging_the_risk_is_refused_A1() =>
        ShouldBeRefusedBy(TenantLockDecider.Decide(null, Request(acknowledge: false), Keys, Rules, T0), KeyPlatform.Contracts.Rules.A1);

    [Fact]
    [Trait("Rule", "L2")]
    public void Given_a_key_change_71h59_ago_When_locking_Then_refused_with_the_time_locking_becomes_possible_L2()
    {
        var decision = TenantLockDecider.Decide(null, Request(), Keys, Rules, KeyChangedAt.AddHours(72).AddMinutes(-1));

        ShouldBeRefusedBy(decision, KeyPlatform.Contracts.Rules.L2);
        decision.Refusal!.AllowedAt.ShouldBe(KeyChangedAt.AddHours(72));
        TenantLockDecider.Decide(null, Request(), Keys, Rules, KeyChangedAt.AddHours(72)).IsRefused.ShouldBeFalse();
    }

    [Fact]
    [Trait("Rule", "L5")]
    public void A_second_lock_while_a_cycle_is_open_is_refused_L5() =>
        ShouldBeRefusedBy(TenantLockDecider.Decide(Locking(), Request(), Keys, Rules, T0), KeyPlatform.Contracts.Rules.L5);

    [Fact]
    [Trait("Rule", "L3")]
    public void When_KeyService_holds_the_keys_Then_every_environment_under_the_tenant_key_is_asked_to_lock_L3()
    {
        var cycle = LockSaga.Given(Requested);

        var decision = TenantLockDecider.Decide(cycle, new ObserveKeyRingLockStarted(), ["env-a", "env-b"], cycle.NotYetLocked, T0);

        decision.Events[0].ShouldBeOfType<KeyRingLockConfirmed>();
        decision.Events[1].ShouldBeOfType<EnvironmentLocksRequested>().EnvironmentIds.ShouldBe(["env-a", "env-b"]);
    }

    [Fact]
    [Trait("Rule", "L3")]
    public void An_environment_learned_late_is_noted_before_the_keys_are_held_and_locked_with_the_others_L3()
    {
        var cycle = LockSaga.Given(Requested);

        var noted = TenantLockDecider.Decide(cycle, new ObserveEnvironmentUnderTenantKey("env-late"), cycle.StatusOf("env-late"), T0).Events.ShouldHaveSingleItem();
        var decision = TenantLockDecider.Decide(cycle.Apply((EnvironmentNoted)noted), new ObserveKeyRingLockStarted(), ["env-a"], cycle.Apply((EnvironmentNoted)noted).NotYetLocked, T0);

        decision.Events[1].ShouldBeOfType<EnvironmentLocksRequested>().EnvironmentIds.ShouldBe(["env-a", "env-late"], ignoreOrder: true);
    }

    [Fact]
    [Trait("Rule", "L3")]
    public void An_environment_learned_after_the_keys_are_held_is_asked_to_lock_at_once_also_after_completion_L3()
    {
        TenantLockDecider.Decide(Locking(), new ObserveEnvironmentUnderTenantKey("env-late"), Locking().StatusOf("env-late"), T0).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<EnvironmentLocksRequested>().EnvironmentIds.ShouldBe(["env-late"]);
        TenantLockDecider.Decide(Locked(), new ObserveEnvironmentUnderTenantKey("env-late"), Locked().StatusOf("env-late"), T0).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<EnvironmentLocksRequested>();
        TenantLockDecider.Decide(Locking(), new ObserveEnvironmentUnderTenantKey("env-a"), Locking().StatusOf("env-a"), T0).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "L3")]
    public void When_KeyService_refuses_Then_the_cycle_ends_with_nothing_locked_L3()
    {
        var cycle = LockSaga.Given(Requested);

        var refused = TenantLockDecider.Decide(cycle, new ObserveKeyRingLockRefused("L2", "changed", null), T0).Events.ShouldHaveSingleItem();

        var after = cycle.Apply((LockRefused)refused);
        after.Phase.ShouldBe(LockPhase.Refused);
        after.IsOpen.ShouldBeFalse();
        TenantLockDecider.Decide(after, new ObserveKeyRingLockStarted(), ["env-a"], after.NotYetLocked, T0).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "L4")]
    public void The_lock_completes_once_every_environment_is_locked_and_the_keys_are_deleted_in_any_order_L4()
    {
        var cycle = Locking();
        var afterA = cycle.Apply((EnvironmentLockConfirmed)TenantLockDecider.Decide(cycle, new ObserveEnvironmentLocked("env-a"), cycle.StatusOf("env-a"), T0).Events.Single());
        var keys = TenantLockDecider.Decide(afterA, new ObserveKeysDeleted("k1", 2), T0).Events;
        keys.ShouldHaveSingleItem();
        var afterKeys = afterA.Apply((KeysDeleted)keys[0]);

        var last = TenantLockDecider.Decide(afterKeys, new ObserveEnvironmentLocked("env-b"), afterKeys.StatusOf("env-b"), T0.AddMinutes(3));

        last.Events[1].ShouldBe(new LockCompleted(2, 2, T0.AddMinutes(3)));
        TenantLockDecider.Decide(afterKeys, new ObserveEnvironmentLocked("env-a"), afterKeys.StatusOf("env-a"), T0).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "L4")]
    public void Keys_deleted_before_the_saga_saw_the_lock_start_still_complete_a_lock_without_environments_L4()
    {
        var cycle = LockSaga.Given(Requested, new KeysDeleted("k1", 1, T0));

        var decision = TenantLockDecider.Decide(cycle, new ObserveKeyRingLockStarted(), [], cycle.NotYetLocked, T0);

        decision.Events.Last().ShouldBeOfType<LockCompleted>();
    }

    [Fact]
    [Trait("Rule", "L3")]
    public void An_environment_refused_because_it_left_the_tenant_key_leaves_the_list_and_the_lock_completes_without_it_L3()
    {
        var cycle = Locking().Apply(new EnvironmentLockConfirmed("env-a", T0)).Apply(new KeysDeleted("k1", 2, T0));

        var decision = TenantLockDecider.Decide(cycle, new ObserveEnvironmentLockRefused("env-b", "L3", "under the platform key"), cycle.StatusOf("env-b"), T0.AddMinutes(2));

        decision.Events[0].ShouldBe(new EnvironmentLeftLock("env-b", "L3", "under the platform key", T0.AddMinutes(2)));
        decision.Events[1].ShouldBe(new LockCompleted(1, 2, T0.AddMinutes(2)));
        var after = cycle.Apply((EnvironmentLeftLock)decision.Events[0]);
        after.NotYetLocked.ShouldBeEmpty();
        TenantLockDecider.Decide(after, new ObserveEnvironmentLockRefused("env-b", "L3", "again"), after.StatusOf("env-b"), T0).Events.ShouldBeEmpty();
        TenantLockDecider.Decide(after, new ObserveEnvironmentUnderTenantKey("env-b"), after.StatusOf("env-b"), T0).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<EnvironmentLocksRequested>().EnvironmentIds.ShouldBe(["env-b"]);
    }

    [Fact]
    [Trait("Rule", "L3")]
    public void A_refusal_for_another_reason_or_of_a_locked_environment_keeps_the_list_as_it_is_L3_L5()
    {
        var cycle = Locking().Apply(new EnvironmentLockConfirmed("env-a", T0));

        TenantLockDecider.Decide(cycle, new ObserveEnvironmentLockRefused("env-b", "AUTHZ", "who?"), cycle.StatusOf("env-b"), T0).Events.ShouldBeEmpty();
        TenantLockDecider.Decide(cycle, new ObserveEnvironmentLockRefused("env-a", "L3", "late"), cycle.StatusOf("env-a"), T0).Events.ShouldBeEmpty();
        TenantLockDecider.Decide(cycle, new ObserveEnvironmentLockRefused("env-b", "NOT_FOUND", "gone"), cycle.StatusOf("env-b"), T0).Events
            .ShouldHaveSingleItem().ShouldBeOfType<EnvironmentLeftLock>();
    }

    [Fact]
    [Trait("Rule", "L5")]
    public void A_lock_not_finished_in_its_time_limit_is_reported_with_what_is_left_and_asked_again_L5()
    {
        var cycle = Locking().Apply(new EnvironmentLockConfirmed("env-a", T0));

        var decision = TenantLockDecider.Decide(cycle, new LockTimeLimitReached(), cycle.NotYetLocked, T0.AddHours(1));

        var timedOut = decision.Events[0].ShouldBeOfType<LockTimedOut>();
        timedOut.EnvironmentsNotLocked.ShouldBe(["env-b"]);
        timedOut.KeysDeleted.ShouldBeFalse();
        decision.Events[1].ShouldBeOfType<EnvironmentLocksRequested>().EnvironmentIds.ShouldBe(["env-b"]);
        TenantLockDecider.Decide(Locked(), new LockTimeLimitReached(), Locked().NotYetLocked, T0.AddHours(1)).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "L5")]
    public void Unlocking_while_the_lock_runs_is_refused_L5() =>
        TenantLockDecider.CanUnlockKey(Locking(), "thumb-k1", true, Rules, T0.AddHours(2))!.Rule.ShouldBe(KeyPlatform.Contracts.Rules.L5);

    [Fact]
    [Trait("Rule", "L6")]
    public void Unlocking_59_minutes_after_the_lock_is_refused_until_the_hour_L6()
    {
        var refusal = TenantLockDecider.CanUnlockKey(Locked(), "thumb-k1", true, Rules, T0.AddMinutes(59));

        refusal!.Rule.ShouldBe(KeyPlatform.Contracts.Rules.L6);
        refusal.AllowedAt.ShouldBe(T0.AddHours(1));
        TenantLockDecider.CanUnlockKey(Locked(), "thumb-k1", true, Rules, T0.AddHours(1)).ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "U1")]
    public void Only_the_key_that_locked_can_unlock_and_then_KeyService_is_asked_to_reinstate_it_U1()
    {
        ShouldBeRefusedBy(TenantLockDecider.Decide(Locked(), new RequestKeyUnlock("thumb-k2", "vault-new", true, "admin"), Rules, T0.AddHours(2)),
            KeyPlatform.Contracts.Rules.U1);

        var decision = TenantLockDecider.Decide(Locked(), new RequestKeyUnlock("thumb-k1", "vault-new", true, "admin"), Rules, T0.AddHours(2));

        decision.Events.ShouldHaveSingleItem().ShouldBe(new KeyUnlockRequested("thumb-k1", "vault-new", "admin", T0.AddHours(2)));
    }

    [Fact]
    [Trait("Rule", "U1")]
    public void A_failed_reinstall_of_the_locking_key_is_reported_on_the_cycle_and_a_repeated_unlock_reinstalls_it_U1()
    {
        var unlocking = Locked().Apply(new KeyUnlockRequested("thumb-k1", "vault-new", "admin", T0.AddHours(2)));

        var failed = TenantLockDecider.Decide(unlocking, new ObserveKeyInstallationFailed("k1", "The key is no longer in the vault."), T0.AddHours(2))
            .Events.ShouldHaveSingleItem().ShouldBeOfType<KeyUnlockFailed>();
        var after = unlocking.Apply(failed);

        after.Phase.ShouldBe(LockPhase.Locked);
        after.KeyUnlockFailure.ShouldBe("The key is no longer in the vault.");
        after.KeyUnlockFailedAt.ShouldBe(T0.AddHours(2));
        LockProgressView.From(after.Progress, after.NotYetLocked, Rules).KeyUnlockFailure.ShouldBe("The key is no longer in the vault.");
        TenantLockDecider.Decide(after, Request(), Keys, Rules, T0.AddHours(3)).Refusal!.Rule.ShouldBe(KeyPlatform.Contracts.Rules.L5);
        var again = TenantLockDecider.Decide(after, new RequestKeyUnlock("thumb-k1", "vault-newer", true, "admin"), Rules, T0.AddHours(3));
        again.Events.ShouldHaveSingleItem().ShouldBe(new KeyUnlockRequested("thumb-k1", "vault-newer", "admin", T0.AddHours(3)));
        after.Apply((KeyUnlockRequested)again.Events[0]).KeyUnlockFailure.ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "U1")]
    public void A_failed_install_of_another_key_or_outside_an_unlock_changes_nothing_U1()
    {
        var unlocking = Locked().Apply(new KeyUnlockRequested("thumb-k1", "vault-new", "admin", T0.AddHours(2)));

        TenantLockDecider.Decide(unlocking, new ObserveKeyInstallationFailed("k9", "other"), T0.AddHours(2)).Events.ShouldBeEmpty();
        TenantLockDecider.Decide(Locked(), new ObserveKeyInstallationFailed("k1", "other"), T0.AddHours(2)).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "U2")]
    public void Environments_stay_locked_until_each_is_unlocked_and_the_cycle_closes_when_the_last_one_is_U2_U3()
    {
        var keyUnlocked = Locked().Apply(new KeyUnlockRequested("thumb-k1", "vault-new", "admin", T0.AddHours(2)));
        var decision = TenantLockDecider.Decide(keyUnlocked, new ObserveKeyActivated("thumb-k1"), T0.AddHours(2));
        var active = keyUnlocked.Apply((KeyUnlocked)decision.Events.Single());
        active.StillLocked.ShouldBe(["env-a", "env-b"]);

        var afterA = active.Apply((EnvironmentUnlockObserved)TenantLockDecider.Decide(active, new ObserveEnvironmentUnlocked("env-a"), active.StatusOf("env-a"), T0.AddHours(3)).Events.Single());
        var last = TenantLockDecider.Decide(afterA, new ObserveEnvironmentUnlocked("env-b"), afterA.StatusOf("env-b"), T0.AddHours(4));

        last.Events[1].ShouldBe(new LockCycleClosed(2, 0, T0.AddHours(4)));
    }

    [Fact]
    [Trait("Rule", "U3")]
    public void A_key_activated_with_another_thumbprint_does_not_unlock_the_cycle_U3() =>
        TenantLockDecider.Decide(Locked().Apply(new KeyUnlockRequested("thumb-k1", "v", "admin", T0)), new ObserveKeyActivated("thumb-k9"), T0)
            .Events.ShouldBeEmpty();

    [Fact]
    [Trait("Rule", "L7")]
    public void Warnings_and_then_deletion_concern_only_environments_still_locked_L7()
    {
        var cycle = Locked().Apply(new KeyUnlockRequested("thumb-k1", "v", "admin", T0)).Apply(new KeyUnlocked(T0))
            .Apply(new EnvironmentUnlockObserved("env-a", T0.AddDays(1)));

        var warning = TenantLockDecider.Decide(cycle, new DeletionWarningDue(7), cycle.StillLocked, T0.AddDays(21)).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<DeletionWarningIssued>();
        warning.EnvironmentIds.ShouldBe(["env-b"]);
        warning.DeletionDueAt.ShouldBe(T0.AddDays(28));
        TenantLockDecider.Decide(cycle, new DeletionDue(), cycle.StillLocked, T0.AddDays(28)).Events.ShouldHaveSingleItem()
            .ShouldBeOfType<LockedEnvironmentDeletionRequested>().EnvironmentIds.ShouldBe(["env-b"]);
    }

    [Fact]
    [Trait("Rule", "L7")]
    public void Once_every_environment_is_unlocked_the_deadlines_decide_nothing_L7()
    {
        var closed = Locked().Apply(new KeyUnlockRequested("thumb-k1", "v", "admin", T0)).Apply(new KeyUnlocked(T0))
            .Apply(new EnvironmentUnlockObserved("env-a", T0)).Apply(new EnvironmentUnlockObserved("env-b", T0))
            .Apply(new LockCycleClosed(2, 0, T0));

        TenantLockDecider.Decide(closed, new DeletionWarningDue(1), closed.StillLocked, T0.AddDays(27)).Events.ShouldBeEmpty();
        TenantLockDecider.Decide(closed, new DeletionDue(), closed.StillLocked, T0.AddDays(28)).Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "L7")]
    public void A_deleted_environment_counts_as_resolved_for_closing_the_cycle_L7()
    {
        var keyUnlocked = Locked().Apply(new KeyUnlockRequested("thumb-k1", "v", "admin", T0)).Apply(new KeyUnlocked(T0))
            .Apply(new EnvironmentUnlockObserved("env-a", T0));

        var decision = TenantLockDecider.Decide(keyUnlocked, new ObserveEnvironmentDeleted("env-b"), keyUnlocked.StatusOf("env-b"), T0.AddDays(28));

        decision.Events[1].ShouldBe(new LockCycleClosed(1, 1, T0.AddDays(28)));
    }

    [Fact]
    [Trait("Rule", "U3")]
    public void A_cycle_whose_locked_environments_were_all_deleted_closes_before_any_unlock_U3_L7()
    {
        var afterA = Locked().Apply((EnvironmentDeletionObserved)TenantLockDecider.Decide(Locked(), new ObserveEnvironmentDeleted("env-a"), Locked().StatusOf("env-a"), T0.AddDays(28))
            .Events.ShouldHaveSingleItem());

        var last = TenantLockDecider.Decide(afterA, new ObserveEnvironmentDeleted("env-b"), afterA.StatusOf("env-b"), T0.AddDays(28));

        last.Events[1].ShouldBe(new LockCycleClosed(0, 2, T0.AddDays(28)));
        afterA.Apply((EnvironmentDeletionObserved)last.Events[0]).Apply((LockCycleClosed)last.Events[1]).IsOpen.ShouldBeFalse();
    }

    [Fact]
    [Trait("Rule", "U3")]
    public void A_lock_that_locked_no_environment_stays_open_for_the_key_unlock_U3()
    {
        var lockedNothing = LockSaga.Given(Requested, new KeyRingLockConfirmed(T0), new KeysDeleted("k1", 1, T0),
            new LockCompleted(0, 1, T0));

        TenantLockDecider.Decide(lockedNothing, new DeletionDue(), lockedNothing.StillLocked, T0.AddDays(28)).Events.ShouldBeEmpty();
        lockedNothing.IsOpen.ShouldBeTrue();
        TenantLockDecider.CanUnlockKey(lockedNothing, "thumb-k1", true, Rules, T0.AddHours(2)).ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "U3")]
    public void A_failed_reinstall_after_every_locked_environment_was_deleted_closes_the_cycle_U3_U1()
    {
        var unlocking = Locked().Apply(new EnvironmentDeletionObserved("env-a", T0)).Apply(new EnvironmentDeletionObserved("env-b", T0))
            .Apply(new KeyUnlockRequested("thumb-k1", "vault-new", "admin", T0.AddHours(2)));

        var decision = TenantLockDecider.Decide(unlocking, new ObserveKeyInstallationFailed("k1", "gone"), T0.AddHours(2));

        decision.Events[0].ShouldBeOfType<KeyUnlockFailed>();
        decision.Events[1].ShouldBe(new LockCycleClosed(0, 2, T0.AddHours(2)));
    }

    [Fact]
    public void A_lock_cycle_id_names_its_tenant_and_region() =>
        TenantLockCycle.ParseStreamKey(TenantLockCycle.StreamKey("a:b", "europe", 12)).ShouldBe(("a:b", "europe"));
}
