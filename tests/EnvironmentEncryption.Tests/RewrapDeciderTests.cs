using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace EnvironmentEncryption.Tests;

public sealed class RewrapDeciderTests
{
    [Fact]
    [Trait("Rule", "K8")]
    public void Given_online_under_k1_When_k2_becomes_active_Then_the_data_key_is_rewrapped_once_without_going_offline_K8()
    {
        var state = An.State(An.UnderTenantKey("k1"));
        EnvironmentDecider.NeedsRewrap(state, An.Active("k2")).ShouldBeTrue();

        var decision = EnvironmentDecider.Decide(state, new RewrapDataKey(An.TenantKey("k2"), "run-1"), An.T0);

        var rewrapped = decision.Single<DataKeyRewrapped>();
        rewrapped.Reason.ShouldBe(RewrapReason.KeyActivated);
        rewrapped.RewrapId.ShouldBe("run-1");
        rewrapped.FromTenantKeyId.ShouldBe("k1");
        rewrapped.DataKey.DataKeyId.ShouldBe("dk-1"); // D3: the same data key, only wrapped anew
        decision.Status().ShouldBe(new EncryptionStatusChanged(An.Tenant, An.Region, An.Environment, "Contoso Sales",
            EnvironmentProtection.TenantKey, "k2", EnvironmentState.Active, An.T0));
        decision.Events.ShouldNotContain(e => e is TenantKeyApplied);

        var after = EnvironmentDecider.Fold(state, decision.Events);
        EnvironmentDecider.NeedsRewrap(after, An.Active("k2")).ShouldBeFalse();
        EnvironmentDecider.Decide(after, new RewrapDataKey(An.TenantKey("k2"), "run-1"), An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void Given_Updating_When_a_rewrap_arrives_Then_nothing_changes_an_update_takes_a_fresh_data_key_V3_K8()
    {
        var state = An.State([.. An.UnderPlatformKey(), .. An.Applying("k1")]);
        EnvironmentDecider.NeedsRewrap(state, An.Active("k1")).ShouldBeFalse();
        EnvironmentDecider.NeedsFreshDataKey(state).ShouldBeTrue();

        EnvironmentDecider.Decide(state, new RewrapDataKey(An.TenantKey("k1"), null), An.T0).ShouldChangeNothing();
    }

    [Theory]
    [Trait("Rule", "K8")]
    [InlineData("locked")]
    [InlineData("platform")]
    [InlineData("deleted")]
    [InlineData("other data key")]
    public void Locked_platform_key_deleted_or_reset_environments_are_not_rewrapped_K8_E6(string given)
    {
        var state = given switch
        {
            "locked" => An.State(An.Locked("k1")),
            "platform" => An.State(An.UnderPlatformKey()),
            "deleted" => An.State([.. An.UnderTenantKey(), new EnvironmentRemoved(An.Tenant, An.Region, "gone", null, An.T0)]),
            _ => An.State(An.UnderTenantKey(dataKeyId: "dk-reset")),
        };

        EnvironmentDecider.Decide(state, new RewrapDataKey(An.TenantKey("k2"), "run-1"), An.T0).ShouldChangeNothing();
        if (given != "other data key") EnvironmentDecider.NeedsRewrap(state, An.Active("k2")).ShouldBeFalse();
    }

    [Fact]
    [Trait("Rule", "K8")]
    public void Given_a_key_that_left_the_vault_When_a_rewrap_fails_Then_an_online_environment_records_it_and_an_Updating_one_is_not_touched_K8()
    {
        var online = EnvironmentDecider.DecideRewrapFailure(An.State(An.UnderTenantKey("k1")), "k2", "gone", "run-1", An.T0);
        online.Events.ShouldHaveSingleItem().ShouldBe(new DataKeyRewrapFailed("k2", "gone", "run-1", An.T0));

        var updating = An.State([.. An.UnderPlatformKey(), .. An.Applying("k1")]);
        EnvironmentDecider.DecideRewrapFailure(updating, "k1", "gone", null, An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "K8")]
    public void A_rewrap_is_always_to_a_tenant_key_K8() =>
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(An.State(An.UnderTenantKey()), new RewrapDataKey(An.PlatformKey(), null), An.T0));
}
