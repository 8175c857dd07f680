using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace EnvironmentEncryption.Tests;

public sealed class ApplyTenantKeyDeciderTests
{
    private static ApplyTenantKeyToEnvironment Apply(bool acknowledge = true) => new(An.Tenant, An.Environment, acknowledge);

    [Fact]
    [Trait("Rule", "E2")]
    public void Given_an_eligible_environment_and_an_active_key_When_applying_Then_it_is_Updating_toward_that_key_E2()
    {
        var decision = EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Apply(), An.Facts(An.Active("k1")), An.T0);

        decision.Single<TenantKeyApplicationStarted>().ShouldBe(new TenantKeyApplicationStarted(An.Tenant, An.Region, "k1", An.T0));
        var status = decision.Status();
        status.State.ShouldBe(EnvironmentState.Updating);
        status.Protection.ShouldBe(EnvironmentProtection.PlatformKey); // the data key is not rewrapped yet
    }

    [Fact]
    [Trait("Rule", "E2")]
    public void Given_no_active_key_in_the_environments_region_When_applying_Then_refused_E2()
    {
        var facts = An.Facts(An.Active("k9", region: "unitedstates"));

        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Apply(), facts, An.T0).ShouldBeRefusedBy(Rules.E2, "no Active key in region 'europe'");
    }

    [Fact]
    [Trait("Rule", "A1")]
    public void Applying_without_acknowledging_the_risk_is_refused_A1() =>
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Apply(acknowledge: false), An.Facts(An.Active()), An.T0)
            .ShouldBeRefusedBy(Rules.A1);

    [Fact]
    [Trait("Rule", "T2")]
    public void Given_an_environment_created_before_the_feature_was_on_When_applying_Then_refused_T2()
    {
        var state = An.State(An.UnderPlatformKey(createdAt: An.EnabledAt.AddMinutes(-1)));

        EnvironmentDecider.Decide(state, Apply(), An.Facts(An.Active()), An.T0).ShouldBeRefusedBy(Rules.T2, "before the tenant key feature was turned on");
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey(createdAt: An.EnabledAt)), Apply(), An.Facts(An.Active()), An.T0)
            .ShouldBeRefusedBy(Rules.T2);
    }

    [Fact]
    [Trait("Rule", "T2")]
    public void Given_mixed_storage_When_applying_Then_refused_whatever_the_dates_T2() =>
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey(storage: EnvironmentStorage.Mixed)), Apply(), An.Facts(An.Active()), An.T0)
            .ShouldBeRefusedBy(Rules.T2, "storage: mixed");

    [Fact]
    [Trait("Rule", "T2")]
    public void Given_a_tenant_without_the_feature_When_applying_Then_refused_T2() =>
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), Apply(), An.FactsWithoutFeature(), An.T0)
            .ShouldBeRefusedBy(Rules.T2, "not turned on");

    [Fact]
    [Trait("Rule", "E6")]
    public void Given_a_locked_environment_When_applying_Then_refused_E6() =>
        EnvironmentDecider.Decide(An.State(An.Locked()), Apply(), An.Facts(An.Active()), An.T0).ShouldBeRefusedBy(Rules.E6);

    [Fact]
    [Trait("Rule", "E2")]
    public void Given_Updating_or_already_under_the_tenant_key_When_applying_again_Then_nothing_changes_E2()
    {
        var updating = An.State([.. An.UnderPlatformKey(), new TenantKeyApplicationStarted(An.Tenant, An.Region, "k1", An.T0)]);

        EnvironmentDecider.Decide(updating, Apply(), An.Facts(An.Active()), An.T0).ShouldChangeNothing();
        EnvironmentDecider.Decide(An.State(An.UnderTenantKey()), Apply(), An.Facts(An.Active()), An.T0).ShouldChangeNothing();
    }

    [Fact]
    public void Another_tenants_or_an_unknown_environment_is_not_found()
    {
        EnvironmentDecider.Decide(null, Apply(), An.Facts(An.Active()), An.T0).ShouldBeRefusedBy(Rules.NotFound);
        EnvironmentDecider.Decide(An.State(An.UnderPlatformKey()), new ApplyTenantKeyToEnvironment("fabrikam", An.Environment, true),
            An.Facts(An.Active()), An.T0).ShouldBeRefusedBy(Rules.NotFound);
    }
}
