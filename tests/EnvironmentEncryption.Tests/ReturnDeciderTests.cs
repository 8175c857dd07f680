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
    public void Given_a_sandbox_under_the_tenant_key_When_returning_Then_its_data_key_is_under_the_platform_key_E3()
    {
        var decision = EnvironmentDecider.Decide(An.State(An.UnderTenantKey()), Return(), An.PlatformKey(), An.T0);

        var rewrapped = decision.Single<DataKeyRewrapped>();
        rewrapped.Reason.ShouldBe(RewrapReason.ReturnedToPlatformKey);
        rewrapped.DataKey.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        decision.Single<ReturnedToPlatformKey>();
        decision.Status().Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        decision.Status().TenantKeyId.ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "E3")]
    public void Given_a_production_environment_When_returning_without_its_name_typed_exactly_Then_refused_E3()
    {
        var state = An.State(An.UnderTenantKey(type: EnvironmentType.Production, name: "Contoso Production"));

        EnvironmentDecider.CanReturn(state, Return()).ShouldBeRefusedBy(Rules.E3, "type its name");
        EnvironmentDecider.CanReturn(state, Return("contoso production")).ShouldBeRefusedBy(Rules.E3);
        EnvironmentDecider.CanReturn(state, Return("Contoso Production")).ShouldBeNull();
        EnvironmentDecider.Decide(state, Return("Contoso Production"), An.PlatformKey(), An.T0).Single<ReturnedToPlatformKey>();
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
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Return(), An.PlatformKey(), An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "D3")]
    public void A_platform_wrapping_of_another_data_key_is_not_accepted_D3() =>
        EnvironmentDecider.Decide(An.State(An.UnderTenantKey()), Return(), An.PlatformKey("dk-other"), An.T0).ShouldBeRefusedBy(Rules.Validation);
}
