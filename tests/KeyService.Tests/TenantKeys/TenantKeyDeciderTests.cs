using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Testing;

namespace KeyService.Tests.TenantKeys;

public sealed class TenantKeyDeciderTests
{
    private const string Tenant = "contoso";
    private const string Region = "europe";
    private static readonly DateTimeOffset T0 = new(2026, 2, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly TenantKeyFacts Enabled = new(TenantEnabled: true, LockedEnvironments: 0);
    private static readonly TenantKeyRules Rules24h = new();

    private static KeyAdded Added(string keyId, string name = "", DateTimeOffset? at = null) =>
        new(Tenant, Region, keyId, name == "" ? $"key-{keyId}" : name, $"thumb-{keyId}", $"vault-{keyId}", TenantKeySource.UploadedPfx, at ?? T0);

    private static AddTenantKey Add(string keyId, bool acknowledge = true, string? name = null, string? thumbprint = null) =>
        new(Tenant, Region, keyId, name ?? $"key-{keyId}", thumbprint ?? $"thumb-{keyId}", $"vault-{keyId}", TenantKeySource.UploadedPfx, acknowledge);

    private static ActivateTenantKey Activate(string keyId, bool acknowledge = true) => new(Tenant, Region, keyId, acknowledge);

    /// <summary>A ring whose first key k1 became active at <paramref name="at"/>, with k2 uploaded later.</summary>
    private static TenantKeyRing? ActiveK1AndAvailableK2(DateTimeOffset at) => Given.Events<TenantKeyRing>(
        Added("k1", at: at), new KeyInstallationStarted("k1", at), new KeyActivated("k1", "vault-k1", "thumb-k1", null, at), Added("k2", at: at));

    private static void ShouldBeRefusedBy(Decision decision, string rule)
    {
        decision.IsRefused.ShouldBeTrue($"expected a refusal by {rule}, got {decision}");
        decision.Refusal!.Rule.ShouldBe(rule);
        decision.Events.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "K5")]
    public void Given_no_key_When_adding_the_first_Then_it_starts_installing_at_once_K5()
    {
        var decision = TenantKeyDecider.Decide(null, Add("k1"), Enabled, T0);

        decision.Events.Count.ShouldBe(2);
        decision.Events[0].ShouldBeOfType<KeyAdded>().KeyId.ShouldBe("k1");
        decision.Events[1].ShouldBe(new KeyInstallationStarted("k1", T0));
    }

    [Fact]
    [Trait("Rule", "K5")]
    public void Given_a_key_When_adding_another_Then_it_is_only_Available_K5()
    {
        var ring = Given.Events<TenantKeyRing>(Added("k1"), new KeyInstallationStarted("k1", T0), new KeyActivated("k1", "vault-k1", "thumb-k1", null, T0));

        var decision = TenantKeyDecider.Decide(ring, Add("k2"), Enabled, T0.AddHours(1));

        decision.Events.ShouldHaveSingleItem().ShouldBeOfType<KeyAdded>().KeyId.ShouldBe("k2");
        Given.Events<TenantKeyRing>(Added("k1"), new KeyInstallationStarted("k1", T0), new KeyActivated("k1", "vault-k1", "thumb-k1", null, T0), Added("k2"))!
            .Find("k2")!.State.ShouldBe(TenantKeyState.Available);
    }

    [Fact]
    [Trait("Rule", "K1")]
    public void Keys_of_one_region_live_in_their_own_stream_K1()
    {
        TenantKeyRing.StreamKey(Tenant, "europe").ShouldNotBe(TenantKeyRing.StreamKey(Tenant, "unitedstates"));
        // Ids are used as given: a region in another spelling never reaches a stream key, the edges refuse it (X3).
        TenantKeyRing.StreamKey(Tenant, "europe").ShouldBe("tenant-key:contoso:europe");
        TenantKeyRing.ParseStreamKey(TenantKeyRing.StreamKey("a:b", "europe")).ShouldBe(("a:b", "europe"));
    }

    [Fact]
    [Trait("Rule", "A1")]
    public void Adding_or_activating_without_acknowledging_the_risk_is_refused_A1()
    {
        ShouldBeRefusedBy(TenantKeyDecider.Decide(null, Add("k1", acknowledge: false), Enabled, T0), Rules.A1);
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("k2", acknowledge: false), Enabled, Rules24h,
            T0.AddDays(2)), Rules.A1);
    }

    [Fact]
    [Trait("Rule", "T1")]
    public void Adding_a_key_for_a_tenant_without_the_feature_is_refused_T1() =>
        ShouldBeRefusedBy(TenantKeyDecider.Decide(null, Add("k1"), Enabled with { TenantEnabled = false }, T0), Rules.T1);

    [Fact]
    [Trait("Rule", "K11")]
    public void Given_locked_environments_When_adding_a_key_Then_refused_K11()
    {
        var decision = TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Add("k3"), Enabled with { LockedEnvironments = 3 }, T0.AddDays(5));
        ShouldBeRefusedBy(decision, Rules.K11);
        decision.Refusal!.Reason.ShouldContain("3 locked");
    }

    [Fact]
    public void A_second_key_with_the_same_name_or_the_same_key_material_is_refused()
    {
        var ring = ActiveK1AndAvailableK2(T0);
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, Add("k3", name: "KEY-K1"), Enabled, T0), KeyPlatform.Contracts.Rules.Validation);
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, Add("k3", thumbprint: "thumb-k2"), Enabled, T0), KeyPlatform.Contracts.Rules.Validation);
    }

    [Fact]
    [Trait("Rule", "K7")]
    public void Given_an_Available_key_When_activating_after_the_cooldown_Then_it_starts_installing_K7()
    {
        var decision = TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("k2"), Enabled, Rules24h, T0.AddHours(24));

        decision.Events.ShouldHaveSingleItem().ShouldBe(new KeyInstallationStarted("k2", T0.AddHours(24)));
    }

    [Fact]
    [Trait("Rule", "K7")]
    public void Given_an_installing_key_When_the_vault_proves_it_Then_it_is_Active_and_the_previous_key_Available_again_K7()
    {
        var ring = Given.Events<TenantKeyRing>(Added("k1"), new KeyInstallationStarted("k1", T0), new KeyActivated("k1", "vault-k1", "thumb-k1", null, T0),
            Added("k2"), new KeyInstallationStarted("k2", T0.AddDays(1)));

        var decision = TenantKeyDecider.Decide(ring, new CompleteKeyInstallation("k2", true, null), T0.AddDays(1).AddMinutes(1));

        var activated = decision.Events.ShouldHaveSingleItem().ShouldBeOfType<KeyActivated>();
        activated.PreviousKeyId.ShouldBe("k1");
        var after = ring!.Apply(activated);
        after.Find("k1")!.State.ShouldBe(TenantKeyState.Available);
        after.Find("k2")!.State.ShouldBe(TenantKeyState.Active);
        after.LastActivatedAt.ShouldBe(T0.AddDays(1).AddMinutes(1));
    }

    [Fact]
    [Trait("Rule", "K6")]
    public void Given_an_installing_key_When_the_vault_cannot_use_it_Then_it_is_Failed_K6()
    {
        var ring = Given.Events<TenantKeyRing>(Added("k1"), new KeyInstallationStarted("k1", T0));

        var decision = TenantKeyDecider.Decide(ring, new CompleteKeyInstallation("k1", false, "unwrap failed"), T0);

        decision.Events.ShouldHaveSingleItem().ShouldBeOfType<KeyInstallationFailed>().Reason.ShouldBe("unwrap failed");
        ring!.Apply((KeyInstallationFailed)decision.Events[0]).Find("k1")!.State.ShouldBe(TenantKeyState.Failed);
    }

    [Fact]
    [Trait("Rule", "K6")]
    public void Given_a_key_installing_When_activating_another_Then_refused_K6()
    {
        var ring = ActiveK1AndAvailableK2(T0)!.Apply(Added("k3")).Apply(new KeyInstallationStarted("k2", T0.AddDays(2)));

        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, Activate("k3"), Enabled, Rules24h, T0.AddDays(3)), Rules.K6);
    }

    [Fact]
    [Trait("Rule", "K6")]
    public void At_most_one_key_is_Active_after_any_activation_K6()
    {
        var ring = ActiveK1AndAvailableK2(T0)!
            .Apply(new KeyInstallationStarted("k2", T0.AddDays(1)))
            .Apply(new KeyActivated("k2", "vault-k2", "thumb-k2", "k1", T0.AddDays(1)));

        ring.Keys.Count(k => k.State is TenantKeyState.Active or TenantKeyState.Installing).ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "K7")]
    public void Given_k1_Active_When_activating_k1_Then_no_events_and_the_decision_says_it_is_already_active_K7()
    {
        var decision = TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("k1"), Enabled, Rules24h, T0.AddDays(3));

        decision.IsRefused.ShouldBeFalse();
        decision.Events.ShouldBeEmpty();
        decision.AlreadySatisfied.ShouldBe(new TenantKeyAlreadyActive("k1", "key-k1", TenantKeyState.Active, T0));
    }

    [Fact]
    [Trait("Rule", "K7")]
    public void Given_k2_Installing_When_activating_k2_again_Then_no_events_and_not_already_active_K7()
    {
        var ring = ActiveK1AndAvailableK2(T0)!.Apply(new KeyInstallationStarted("k2", T0.AddDays(2)));

        var decision = TenantKeyDecider.Decide(ring, Activate("k2"), Enabled, Rules24h, T0.AddDays(2));

        decision.IsRefused.ShouldBeFalse();
        decision.Events.ShouldBeEmpty();
        decision.AlreadySatisfied.ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "K7")]
    public void Activating_a_Failed_key_is_refused_and_activating_the_Active_one_again_changes_nothing_K7()
    {
        var ring = ActiveK1AndAvailableK2(T0)!.Apply(new KeyInstallationStarted("k2", T0.AddDays(1)))
            .Apply(new KeyInstallationFailed("k2", "bad", T0.AddDays(1)));

        ShouldBeRefusedBy(TenantKeyDecider.Decide(ring, Activate("k2"), Enabled, Rules24h, T0.AddDays(3)), Rules.K7);
        TenantKeyDecider.Decide(ring, Activate("k1"), Enabled, Rules24h, T0.AddDays(3)).Events.ShouldBeEmpty();
        TenantKeyDecider.Decide(ring, Activate("k1"), Enabled, Rules24h, T0.AddDays(3)).IsRefused.ShouldBeFalse();
    }

    [Fact]
    [Trait("Rule", "K9")]
    public void Given_key_activated_23h59_ago_When_activating_another_Then_refused_until_24h_K9()
    {
        var decision = TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("k2"), Enabled, Rules24h,
            T0.AddHours(24).AddMinutes(-1));

        ShouldBeRefusedBy(decision, Rules.K9);
        decision.Refusal!.AllowedAt.ShouldBe(T0.AddHours(24));
    }

    [Fact]
    [Trait("Rule", "K9")]
    public void The_activation_cooldown_is_configuration_K9()
    {
        var rules = new TenantKeyRules { ActivationCooldown = TimeSpan.FromHours(1) };
        TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("k2"), Enabled, rules, T0.AddHours(1)).IsRefused.ShouldBeFalse();
    }

    [Fact]
    [Trait("Rule", "K10")]
    public void Given_locked_environments_When_activating_Then_refused_K10() =>
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("k2"), Enabled with { LockedEnvironments = 1 },
            Rules24h, T0.AddDays(3)), Rules.K10);

    [Fact]
    public void Activating_an_unknown_key_is_not_found() =>
        ShouldBeRefusedBy(TenantKeyDecider.Decide(ActiveK1AndAvailableK2(T0), Activate("nope"), Enabled, Rules24h, T0.AddDays(3)),
            KeyPlatform.Contracts.Rules.NotFound);

    [Fact]
    [Trait("Rule", "S4")]
    public void The_inventory_times_follow_the_last_activation_S4()
    {
        var ring = ActiveK1AndAvailableK2(T0)!;
        TenantKeyDecider.NextActivationAllowedAt(ring, Rules24h).ShouldBe(T0.AddHours(24));
        TenantKeyDecider.LockAllowedAt(ring, Rules24h).ShouldBe(T0.AddHours(72));
    }

    [Fact]
    public void Adding_the_same_key_id_twice_changes_nothing()
    {
        var ring = Given.Events<TenantKeyRing>(Added("k1"));
        TenantKeyDecider.Decide(ring, Add("k1"), Enabled, T0).Events.ShouldBeEmpty();
    }
}
