using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace EnvironmentEncryption.Tests;

public sealed class LockDeciderTests
{
    private static LockEnvironment Lock(string cycle = "cycle-1") => new(An.Tenant, An.Region, An.Environment, cycle);

    [Fact]
    [Trait("Rule", "E6")]
    public void Given_an_environment_under_the_tenant_key_When_locking_Then_it_is_Locking_then_Locked_E6()
    {
        var state = An.State(An.UnderTenantKey());

        var started = EnvironmentDecider.Decide(state, Lock(), An.T0);
        started.Single<LockStarted>().ShouldBe(new LockStarted(An.Tenant, An.Region, "cycle-1", An.T0));
        started.Status().State.ShouldBe(EnvironmentState.Locking);
        var locking = EnvironmentDecider.Fold(state, started.Events);
        EnvironmentDecider.CanUseDataKey(locking, An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.E6, "being locked");

        var completed = EnvironmentDecider.DecideLockCompletion(locking, An.T0.AddSeconds(1));
        completed.Single<LockCompleted>().ShouldBe(new LockCompleted(An.Tenant, An.Region, "cycle-1", An.T0.AddSeconds(1)));
        completed.Status().State.ShouldBe(EnvironmentState.Locked);
        var locked = EnvironmentDecider.Fold(locking, completed.Events)!;
        locked.LockedSince.ShouldBe(An.T0.AddSeconds(1));
        EnvironmentDecider.CanUseDataKey(locked, An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.E6, "the platform included");
    }

    [Fact]
    [Trait("Rule", "E6")]
    public void Locking_a_locked_or_locking_environment_changes_nothing_E6()
    {
        EnvironmentDecider.Decide(An.State(An.Locked()), Lock(), An.T0).ShouldChangeNothing();
        EnvironmentDecider.Decide(An.State(An.Locked()), Lock("another-cycle"), An.T0).ShouldChangeNothing();
        EnvironmentDecider.DecideLockCompletion(An.State(An.Locked()), An.T0).ShouldChangeNothing();
        EnvironmentDecider.DecideLockCompletion(An.State(An.UnderTenantKey()), An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "U2")]
    public void A_late_lock_of_the_cycle_that_already_locked_an_unlocked_environment_changes_nothing_U2_E6()
    {
        var unlocked = An.State([.. An.Locked(cycle: "cycle-1"), new DataKeyRewrapped(An.TenantKey(), "thumb-k1", "k1", RewrapReason.Unlocked, null, An.T0),
            new Unlocked(An.Tenant, An.Region, An.T0)]);

        EnvironmentDecider.Decide(unlocked, Lock("cycle-1"), An.T0).ShouldChangeNothing();
        EnvironmentDecider.Decide(unlocked, Lock("cycle-2"), An.T0).Single<LockStarted>().LockCycleId.ShouldBe("cycle-2");
    }

    [Fact]
    [Trait("Rule", "L3")]
    public void A_lock_locks_environments_under_the_tenant_key_not_those_under_the_platform_key_L3()
    {
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Lock(), An.T0).ShouldBeRefusedBy(Rules.L3);
        var updating = An.State([.. An.UnderPlatformKey(), new TenantKeyApplicationStarted(An.Tenant, An.Region, "k1", An.T0)]);
        EnvironmentDecider.Decide(updating, Lock(), An.T0).Single<LockStarted>();
    }

    [Fact]
    [Trait("Rule", "U2")]
    public void Given_locked_When_no_key_was_activated_since_the_lock_Then_unlock_is_refused_U2()
    {
        var lockedAt = An.T0.AddHours(-2);
        var state = An.State(An.Locked("k1", lockedAt));

        EnvironmentDecider.CanUnlock(state, new UnlockEnvironment(An.Tenant, An.Environment), An.Facts(An.Active("k1", lockedAt.AddDays(-5))))
            .ShouldBeRefusedBy(Rules.U2, "Active again");
        EnvironmentDecider.CanUnlock(state, new UnlockEnvironment(An.Tenant, An.Environment), An.Facts())
            .ShouldBeRefusedBy(Rules.U2);
    }

    [Fact]
    [Trait("Rule", "U2")]
    public void Given_locked_When_the_same_key_is_active_again_under_a_new_vault_id_Then_unlock_rewraps_and_makes_it_Active_U2()
    {
        var lockedAt = An.T0.AddHours(-2);
        var state = An.State(An.Locked("k1", lockedAt));
        var facts = An.Facts(An.Active("k1", lockedAt.AddDays(-5)), An.Active("k1-again", An.T0, vaultKeyId: "vault-new", thumbprint: "thumb-k1"));
        var command = new UnlockEnvironment(An.Tenant, An.Environment);

        EnvironmentDecider.CanUnlock(state, command, facts).ShouldBeNull();
        var decision = EnvironmentDecider.Decide(state, command, facts, An.TenantKey("k1-again", thumbprint: "thumb-k1", vaultKeyId: "vault-new"),
            An.T0.AddMinutes(1));

        decision.Single<DataKeyRewrapped>().Reason.ShouldBe(RewrapReason.Unlocked);
        decision.Single<Unlocked>().ShouldBe(new Unlocked(An.Tenant, An.Region, An.T0.AddMinutes(1)));
        decision.Status().State.ShouldBe(EnvironmentState.Active);
        var unlocked = EnvironmentDecider.Fold(state, decision.Events)!;
        unlocked.DataKey!.VaultKeyId.ShouldBe("vault-new");
        unlocked.LockedSince.ShouldBeNull();
        EnvironmentDecider.CanUseDataKey(unlocked, An.Tenant, An.Environment).ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "U1")]
    public void Given_locked_When_another_key_is_active_Then_unlock_is_refused_U1()
    {
        var state = An.State(An.Locked("k1", An.T0.AddHours(-2)));

        EnvironmentDecider.CanUnlock(state, new UnlockEnvironment(An.Tenant, An.Environment), An.Facts(An.Active("k7", An.T0)))
            .ShouldBeRefusedBy(Rules.U1, "not the key");
    }

    [Fact]
    [Trait("Rule", "L5")]
    public void Given_a_lock_in_progress_When_unlocking_Then_refused_L5_and_an_active_environment_has_nothing_to_unlock()
    {
        var locking = An.State([.. An.UnderTenantKey(), new LockStarted(An.Tenant, An.Region, "cycle-1", An.T0)]);

        EnvironmentDecider.CanUnlock(locking, new UnlockEnvironment(An.Tenant, An.Environment), An.Facts(An.Active("k1", An.T0.AddHours(1))))
            .ShouldBeRefusedBy(Rules.L5);
        var active = An.State(An.UnderTenantKey());
        EnvironmentDecider.Decide(active, new UnlockEnvironment(An.Tenant, An.Environment), An.Facts(An.Active()), An.TenantKey(), An.T0)
            .ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "L7")]
    public void Given_still_locked_by_the_cycle_When_the_saga_deletes_it_Then_it_is_Deleted_otherwise_refused_L7()
    {
        var locked = An.State(An.Locked(cycle: "cycle-1"));

        var decision = EnvironmentDecider.Decide(locked, new DeleteLockedEnvironment(An.Tenant, An.Region, An.Environment, "cycle-1"), An.T0);
        decision.Single<EnvironmentRemoved>().LockCycleId.ShouldBe("cycle-1");
        decision.Status().State.ShouldBe(EnvironmentState.Deleted);

        EnvironmentDecider.Decide(locked, new DeleteLockedEnvironment(An.Tenant, An.Region, An.Environment, "cycle-0"), An.T0)
            .ShouldBeRefusedBy(Rules.L7, "locked by lock cycle 'cycle-1'");
        EnvironmentDecider.Decide(An.State(An.UnderTenantKey()), new DeleteLockedEnvironment(An.Tenant, An.Region, An.Environment, "cycle-1"), An.T0)
            .ShouldBeRefusedBy(Rules.L7, "no longer locked");
        EnvironmentDecider.Decide(EnvironmentDecider.Fold(locked, decision.Events),
            new DeleteLockedEnvironment(An.Tenant, An.Region, An.Environment, "cycle-1"), An.T0).ShouldChangeNothing();
    }
}
