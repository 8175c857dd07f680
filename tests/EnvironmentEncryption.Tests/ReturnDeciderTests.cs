using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;

namespace EnvironmentEncryption.Tests;

public sealed class ReturnDeciderTests
{
    private static ReturnEnvironmentToPlatformKey Return(string? name = null, bool acknowledge = true) =>
        new(An.Tenant, An.Environment, name, acknowledge);

    [Fact]
    [Trait("Rule", "E3")]
    public void Given_a_sandbox_under_the_tenant_key_When_returning_Then_it_is_Updating_toward_the_platform_key_E3_V3()
    {
        var state = An.State(An.UnderTenantKey());

        var decision = EnvironmentDecider.Decide(state, Return(), An.T0);

        decision.Single<ReturnToPlatformKeyStarted>().ShouldBe(new ReturnToPlatformKeyStarted(An.Tenant, An.Region, An.T0));
        decision.Events.ShouldNotContain(e => e is DataKeyRewrapped); // V3: the tenant-protected data key is never rewrapped by the platform key
        decision.Status().State.ShouldBe(EnvironmentState.Updating);
        decision.Status().Protection.ShouldBe(EnvironmentProtection.TenantKey);
        var after = EnvironmentDecider.Fold(state, decision.Events)!;
        EnvironmentDecider.NeedsFreshDataKey(after).ShouldBeTrue();
        EnvironmentDecider.UpdatingTo(after).ShouldBe(EnvironmentProtection.PlatformKey);
        EnvironmentDecider.CanUseDataKey(after, An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.D2, "Updating");
    }

    [Fact]
    [Trait("Rule", "E3")]
    public void Given_a_production_environment_When_returning_without_its_name_typed_exactly_Then_refused_E3()
    {
        var state = An.State(An.UnderTenantKey(type: EnvironmentType.Production, name: "Contoso Production"));

        EnvironmentDecider.CanReturn(state, Return()).ShouldBeRefusedBy(Rules.E3, "type its name");
        EnvironmentDecider.CanReturn(state, Return("contoso production")).ShouldBeRefusedBy(Rules.E3);
        EnvironmentDecider.CanReturn(state, Return("Contoso Production")).ShouldBeNull();
        EnvironmentDecider.Decide(state, Return("Contoso Production"), An.T0).Single<ReturnToPlatformKeyStarted>();
    }

    [Fact]
    [Trait("Rule", "A1")]
    public void Returning_without_acknowledging_the_risk_is_refused_A1() =>
        EnvironmentDecider.CanReturn(An.State(An.UnderTenantKey()), Return(acknowledge: false)).ShouldBeRefusedBy(Rules.A1);

    [Fact]
    [Trait("Rule", "E3")]
    public void Locked_and_Updating_environments_do_not_return_and_a_platform_key_one_changes_nothing_E3_E6()
    {
        EnvironmentDecider.CanReturn(An.State(An.Locked()), Return()).ShouldBeRefusedBy(Rules.E6);
        var updating = An.State([.. An.UnderPlatformKey(), new TenantKeyApplicationStarted(An.Tenant, An.Region, "k1", An.T0)]);
        EnvironmentDecider.CanReturn(updating, Return()).ShouldBeRefusedBy(Rules.E2);
        EnvironmentDecider.CanReturn(An.State(An.Returning()), Return()).ShouldBeRefusedBy(Rules.E2);
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Return(), An.T0).ShouldChangeNothing();
    }
    [Fact]
    [Trait("Rule", "L3")]
    public void While_a_lock_holds_the_regions_keys_an_environment_under_the_tenant_key_does_not_return_until_a_key_is_active_again_L3()
    {
        var state = An.State(An.UnderTenantKey());
        var locking = An.Facts(An.Active()).Apply(new TenantKeyLockBegan(An.Tenant, An.Region, "cycle-1", An.T0));

        EnvironmentDecider.CanReturn(state, Return(), locking).ShouldBeRefusedBy(Rules.L3, "lock");
        EnvironmentDecider.Decide(state, Return(), An.T0, locking).ShouldBeRefusedBy(Rules.L3);
        var locked = locking.Apply(new TenantKeysWereLocked(An.Tenant, An.Region, "cycle-1", "thumb", An.T0));
        EnvironmentDecider.CanReturn(state, Return(), locked).ShouldBeRefusedBy(Rules.L3);
        EnvironmentDecider.CanReturn(state, Return(), An.Facts(An.Active()).Apply(new TenantKeyLockBegan(An.Tenant, "us", "cycle-9", An.T0)))
            .ShouldBeNull();
        var unlocked = locked.Apply(new TenantKeyBecameActive(An.Tenant, An.Region, "k1", "vault-new", "thumb", An.T0.AddHours(2)));
        unlocked.LockHolds(An.Region).ShouldBeFalse();
        EnvironmentDecider.CanReturn(state, Return(), unlocked).ShouldBeNull();
    }
}
