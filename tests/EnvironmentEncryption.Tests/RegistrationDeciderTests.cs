using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace EnvironmentEncryption.Tests;

public sealed class RegistrationDeciderTests
{
    private static RegisterEnvironment Register(string tenant = An.Tenant) => new(tenant, An.Region, An.Environment, "Contoso Sales",
        EnvironmentType.Production, EnvironmentStorage.SingleStore, "9.2.24011.00200", An.EnabledAt.AddDays(1));

    [Fact]
    [Trait("Rule", "E1")]
    public void Given_nothing_When_registering_Then_the_environment_is_Active_under_the_platform_key_with_its_own_data_key_E1_D1()
    {
        var decision = EnvironmentDecider.Decide(null, Register(), An.PlatformKey(), An.T0);

        decision.Events[0].ShouldBe(new EnvironmentRegistered(An.Environment, An.Tenant, An.Region, "Contoso Sales", EnvironmentType.Production,
            EnvironmentStorage.SingleStore, "9.2.24011.00200", An.EnabledAt.AddDays(1), An.T0));
        decision.Single<DataKeyGenerated>().DataKey.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        var status = decision.Status();
        status.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        status.State.ShouldBe(EnvironmentState.Active);
        status.TenantKeyId.ShouldBeNull();
        var state = EnvironmentDecider.Fold(null, decision.Events)!;
        state.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        state.DataKey!.DataKeyId.ShouldBe("dk-1");
    }

    [Fact]
    [Trait("Rule", "E1")]
    public void A_new_environment_is_never_registered_under_a_tenant_key_E1() =>
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(null, Register(), An.TenantKey(), An.T0));

    [Fact]
    [Trait("Rule", "D1")]
    public void Given_registered_When_registering_again_Then_nothing_changes_and_another_tenant_is_refused_D1()
    {
        var state = An.State(An.UnderPlatformKey());

        EnvironmentDecider.Decide(state, Register(), An.PlatformKey("dk-2"), An.T0).ShouldChangeNothing();
        EnvironmentDecider.Decide(state, Register("fabrikam"), An.PlatformKey("dk-2"), An.T0).ShouldBeRefusedBy(Rules.Validation);
    }

    [Fact]
    public void Given_registered_When_the_platform_deletes_it_Then_it_is_Deleted_once()
    {
        var state = An.State(An.UnderTenantKey());

        var decision = EnvironmentDecider.Decide(state, new DeleteEnvironment(An.Tenant, An.Environment), An.T0);

        decision.Single<EnvironmentRemoved>().Reason.ShouldBe("Deleted by the platform.");
        decision.Status().State.ShouldBe(EnvironmentState.Deleted);
        var deleted = EnvironmentDecider.Fold(state, decision.Events);
        EnvironmentDecider.Decide(deleted, new DeleteEnvironment(An.Tenant, An.Environment), An.T0).ShouldChangeNothing();
        EnvironmentDecider.Decide(null, new DeleteEnvironment(An.Tenant, An.Environment), An.T0).ShouldBeRefusedBy(Rules.NotFound);
    }
}
