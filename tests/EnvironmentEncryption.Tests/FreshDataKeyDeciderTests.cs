using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace EnvironmentEncryption.Tests;

/// <summary>V3: applying the tenant key (E2) and returning to the platform key (E3) end with a fresh data key wrapped only by
/// the key the environment moves to, its records re-encrypted under it; the data key it had is never rewrapped across.</summary>
public sealed class FreshDataKeyDeciderTests
{
    private static ReplaceDataKey Replace(WrappedDataKey key, string from = "dk-1", int records = 3) => new(key, from, records);

    [Fact]
    [Trait("Rule", "V3")]
    public void Given_Updating_toward_k1_When_a_fresh_tenant_wrapped_data_key_replaces_the_platform_one_Then_it_is_Active_under_k1_V3_E2()
    {
        var state = An.State([.. An.UnderPlatformKey(dataKeyId: "dk-1"), .. An.Applying("k1")]);

        var fresh = An.TenantKey("k1", dataKeyId: "dk-2");
        var decision = EnvironmentDecider.Decide(state, Replace(fresh), An.T0);

        decision.Single<DataKeyReplaced>().ShouldBe(new DataKeyReplaced(fresh, "dk-1", "thumb-platform-europe", null,
            RewrapReason.TenantKeyApplied, 3, An.T0));
        decision.Single<TenantKeyApplied>().ShouldBe(new TenantKeyApplied("k1", An.T0));
        decision.Events.ShouldNotContain(e => e is DataKeyRewrapped);
        decision.Status().ShouldBe(new EncryptionStatusChanged(An.Tenant, An.Region, An.Environment, "Contoso Sales",
            EnvironmentProtection.TenantKey, "k1", EnvironmentState.Active, An.T0));

        var after = EnvironmentDecider.Fold(state, decision.Events)!;
        after.DataKey!.DataKeyId.ShouldBe("dk-2");
        after.DataKey.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        after.ApplyingTenantKeyId.ShouldBeNull();
        EnvironmentDecider.NeedsFreshDataKey(after).ShouldBeFalse();
        EnvironmentDecider.CanUseDataKey(after, An.Tenant, An.Environment).ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void Given_Updating_toward_k1_When_the_same_data_key_comes_back_rewrapped_Then_it_is_not_accepted_V3_E2()
    {
        var state = An.State([.. An.UnderPlatformKey(dataKeyId: "dk-1"), .. An.Applying("k1")]);

        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(state, Replace(An.TenantKey("k1", dataKeyId: "dk-1")), An.T0))
            .Message.ShouldContain("fresh data key");
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(state, Replace(An.PlatformKey("dk-2")), An.T0))
            .Message.ShouldContain("TenantKey");
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void Given_returning_When_a_fresh_platform_wrapped_data_key_replaces_the_tenant_one_Then_it_is_Active_under_the_platform_key_V3_E3()
    {
        var state = An.State(An.Returning("k1"));

        var fresh = An.PlatformKey("dk-3");
        var decision = EnvironmentDecider.Decide(state, Replace(fresh, records: 0), An.T0);

        decision.Single<DataKeyReplaced>().ShouldBe(new DataKeyReplaced(fresh, "dk-1", "thumb-k1", "k1",
            RewrapReason.ReturnedToPlatformKey, 0, An.T0));
        decision.Single<ReturnedToPlatformKey>();
        decision.Status().ShouldBe(new EncryptionStatusChanged(An.Tenant, An.Region, An.Environment, "Contoso Sales",
            EnvironmentProtection.PlatformKey, null, EnvironmentState.Active, An.T0));
        var after = EnvironmentDecider.Fold(state, decision.Events)!;
        after.ReturningToPlatformKey.ShouldBeFalse();
        after.DataKey!.DataKeyId.ShouldBe("dk-3");

        // The tenant-protected data key dk-1 is never wrapped by the platform key, and the target is the platform key only.
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(state, Replace(An.PlatformKey("dk-1")), An.T0));
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(state, Replace(An.TenantKey("k1", dataKeyId: "dk-3")), An.T0));
    }

    [Theory]
    [Trait("Rule", "V3")]
    [InlineData("active under the tenant key")]
    [InlineData("active under the platform key")]
    [InlineData("locked")]
    [InlineData("moved to another data key meanwhile")]
    public void A_replacement_that_finds_the_environment_no_longer_Updating_from_that_data_key_changes_nothing_V3(string given)
    {
        var state = given switch
        {
            "active under the tenant key" => An.State(An.UnderTenantKey("k1", dataKeyId: "dk-2")),
            "active under the platform key" => An.State(An.UnderPlatformKey(dataKeyId: "dk-1")),
            "locked" => An.State([.. An.UnderPlatformKey(dataKeyId: "dk-1"), .. An.Applying("k1"), new LockStarted(An.Tenant, An.Region, "c", An.T0)]),
            _ => An.State([.. An.UnderPlatformKey(dataKeyId: "dk-other"), .. An.Applying("k1")]),
        };

        EnvironmentDecider.Decide(state, Replace(An.TenantKey("k1", dataKeyId: "dk-2")), An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void A_redelivered_completion_after_the_replacement_changes_nothing_V3_E2()
    {
        var state = An.State([.. An.UnderPlatformKey(dataKeyId: "dk-1"), .. An.Applying("k1")]);
        var first = EnvironmentDecider.Decide(state, Replace(An.TenantKey("k1", dataKeyId: "dk-2")), An.T0);
        var after = EnvironmentDecider.Fold(state, first.Events);

        EnvironmentDecider.Decide(after, Replace(An.TenantKey("k1", dataKeyId: "dk-9")), An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void When_no_fresh_data_key_can_be_put_in_place_Then_the_update_ends_under_the_data_key_and_key_it_had_V3_E2_E3()
    {
        var applying = An.State([.. An.UnderPlatformKey(dataKeyId: "dk-1"), .. An.Applying("k1")]);
        var failedApply = EnvironmentDecider.DecideReplacementFailure(applying, "gone", An.T0);
        failedApply.Single<TenantKeyApplicationFailed>().ShouldBe(new TenantKeyApplicationFailed("gone", An.T0));
        failedApply.Status().State.ShouldBe(EnvironmentState.Active);
        failedApply.Status().Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        EnvironmentDecider.Fold(applying, failedApply.Events)!.DataKey!.DataKeyId.ShouldBe("dk-1");

        var returning = An.State(An.Returning("k1"));
        var failedReturn = EnvironmentDecider.DecideReplacementFailure(returning, "gone", An.T0);
        failedReturn.Single<ReturnToPlatformKeyFailed>().ShouldBe(new ReturnToPlatformKeyFailed("gone", An.T0));
        failedReturn.Status().ShouldBe(new EncryptionStatusChanged(An.Tenant, An.Region, An.Environment, "Contoso Sales",
            EnvironmentProtection.TenantKey, "k1", EnvironmentState.Active, An.T0));
        EnvironmentDecider.Fold(returning, failedReturn.Events)!.ReturningToPlatformKey.ShouldBeFalse();

        EnvironmentDecider.DecideReplacementFailure(An.State(An.UnderTenantKey()), "gone", An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "D3")]
    public void A_stream_applied_before_V3_by_a_rewrap_still_folds_to_its_data_key_under_the_tenant_key_D3()
    {
        var state = An.State(An.UnderTenantKeyBeforeV3("k1", "dk-1"))!;

        state.State.ShouldBe(EnvironmentState.Active);
        state.DataKey!.DataKeyId.ShouldBe("dk-1");
        state.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        state.TenantKeyId.ShouldBe("k1");
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void Returning_is_published_as_Updating_and_sends_this_service_its_completion_V3_E3()
    {
        var map = new KeyPlatform.EnvironmentEncryption.Messaging.EnvironmentEncryptionIntegrationEvents(new EnvironmentRules());

        var sent = map.Map(new JasperFx.Events.Event<object>(new ReturnToPlatformKeyStarted(An.Tenant, An.Region, An.T0))
        {
            StreamKey = TenantEnvironment.StreamKey(An.Environment),
        }).ShouldHaveSingleItem();

        sent.SendToQueue.ShouldBe(KeyPlatform.Contracts.Messaging.Queues.EnvironmentEncryption);
        sent.Message.ShouldBe(new KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping.CompleteReturnToPlatformKey(An.Tenant, An.Region, An.Environment));
    }
}
