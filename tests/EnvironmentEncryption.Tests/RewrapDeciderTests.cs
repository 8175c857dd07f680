using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.Vault;

namespace EnvironmentEncryption.Tests;

public sealed class RewrapDeciderTests
{
    [Fact]
    [Trait("Rule", "K8")]
    public void Given_online_under_k1_When_k2_becomes_active_Then_the_data_key_is_rewrapped_once_without_going_offline_K8()
    {
        var state = An.State(An.UnderTenantKey("k1"));
        EnvironmentDecider.NeedsRewrap(state, An.Active("k2"), An.Algorithm).ShouldBeTrue();

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
        EnvironmentDecider.NeedsRewrap(after, An.Active("k2"), An.Algorithm).ShouldBeFalse();
        EnvironmentDecider.Decide(after, new RewrapDataKey(An.TenantKey("k2"), "run-1"), An.T0).ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "V3")]
    public void Given_Updating_When_a_rewrap_arrives_Then_nothing_changes_an_update_takes_a_fresh_data_key_V3_K8()
    {
        var state = An.State([.. An.UnderPlatformKey(), .. An.Applying("k1")]);
        EnvironmentDecider.NeedsRewrap(state, An.Active("k1"), An.Algorithm).ShouldBeFalse();
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
        if (given != "other data key") EnvironmentDecider.NeedsRewrap(state, An.Active("k2"), An.Algorithm).ShouldBeFalse();
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
    public void Given_online_under_the_active_key_recorded_with_another_algorithm_When_rewrapped_Then_the_same_data_key_moves_to_the_vaults_algorithm_K8()
    {
        // Data wrapped by SoftHSM (RSA-OAEP), now on a store that wraps with RSA-OAEP-256 (or a changed Vault:Pkcs11:WrappingAlgorithm).
        var state = An.State(An.UnderTenantKey("k1", algorithm: WrappingAlgorithm.RsaOaep));
        EnvironmentDecider.NeedsRewrap(state, An.Active("k1"), WrappingAlgorithm.RsaOaep).ShouldBeFalse();
        EnvironmentDecider.NeedsRewrap(state, An.Active("k1"), WrappingAlgorithm.RsaOaep256).ShouldBeTrue();

        var decision = EnvironmentDecider.Decide(state, new RewrapDataKey(An.TenantKey("k1", algorithm: WrappingAlgorithm.RsaOaep256), "run-a"), An.T0);

        var rewrapped = decision.Single<DataKeyRewrapped>();
        rewrapped.Reason.ShouldBe(RewrapReason.AlgorithmChanged);
        (rewrapped.FromThumbprint, rewrapped.FromTenantKeyId).ShouldBe(("thumb-k1", "k1"));
        rewrapped.DataKey.DataKeyId.ShouldBe("dk-1"); // D3: the same data key, nothing re-encrypted
        decision.Events.ShouldNotContain(e => e is EncryptionStatusChanged); // same key, still Active: nothing to announce, no downtime
        var after = EnvironmentDecider.Fold(state, decision.Events);
        after!.State.ShouldBe(EnvironmentState.Active);
        after!.DataKey!.Algorithm.ShouldBe(WrappingAlgorithm.RsaOaep256);
        EnvironmentDecider.NeedsRewrap(after, An.Active("k1"), WrappingAlgorithm.RsaOaep256).ShouldBeFalse();
        EnvironmentDecider.Decide(after, new RewrapDataKey(An.TenantKey("k1", algorithm: WrappingAlgorithm.RsaOaep256), "run-a"), An.T0)
            .ShouldChangeNothing();
    }

    [Theory]
    [Trait("Rule", "D3")]
    [InlineData(null, WrappingAlgorithm.RsaOaep256, false)]
    [InlineData(null, WrappingAlgorithm.RsaOaep, true)]
    [InlineData(WrappingAlgorithm.RsaOaep, WrappingAlgorithm.RsaOaep, false)]
    [InlineData(WrappingAlgorithm.RsaOaep256, WrappingAlgorithm.RsaOaep, true)]
    public void A_data_key_recorded_before_algorithms_were_recorded_counts_as_RSA_OAEP_256_D3_K8(string? recorded, string preferred, bool needed)
    {
        var state = An.State(An.UnderTenantKey("k1", algorithm: recorded));

        EnvironmentDecider.NeedsRewrap(state, An.Active("k1"), preferred).ShouldBe(needed);
        var rewrap = EnvironmentDecider.Decide(state, new RewrapDataKey(An.TenantKey("k1", algorithm: preferred), null), An.T0);
        if (needed) rewrap.Single<DataKeyRewrapped>().Reason.ShouldBe(RewrapReason.AlgorithmChanged);
        else rewrap.ShouldChangeNothing();
    }

    [Theory]
    [Trait("Rule", "K8")]
    [InlineData("locked")]
    [InlineData("updating")]
    public void Locked_or_Updating_environments_are_not_moved_to_another_algorithm_K8_E6_V3(string given)
    {
        var state = given == "locked"
            ? An.State([.. An.UnderTenantKey("k1", algorithm: WrappingAlgorithm.RsaOaep), .. An.Locked("k1")[^2..]])
            : An.State([.. An.UnderTenantKey("k1", algorithm: WrappingAlgorithm.RsaOaep), new ReturnToPlatformKeyStarted(An.Tenant, An.Region, An.T0)]);

        EnvironmentDecider.NeedsRewrap(state, An.Active("k1"), WrappingAlgorithm.RsaOaep256).ShouldBeFalse();
        EnvironmentDecider.Decide(state, new RewrapDataKey(An.TenantKey("k1", algorithm: WrappingAlgorithm.RsaOaep256), null), An.T0)
            .ShouldChangeNothing();
    }

    [Fact]
    [Trait("Rule", "K8")]
    public void A_rewrap_is_always_to_a_tenant_key_K8() =>
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(An.State(An.UnderTenantKey()), new RewrapDataKey(An.PlatformKey(), null), An.T0));
}
