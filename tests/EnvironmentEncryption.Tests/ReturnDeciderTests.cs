using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;

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
}
