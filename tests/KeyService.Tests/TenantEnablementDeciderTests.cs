using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.Tenants;

namespace KeyService.Tests;

public sealed class TenantEnablementDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 2, 2, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [Trait("Rule", "T1")]
    [InlineData(1001, 0)]
    [InlineData(0, 1001)]
    [InlineData(501, 500)]
    public void More_than_1000_qualifying_licences_combined_turn_the_feature_on_T1(int appPerUser, int enterprise)
    {
        var decision = TenantEnablementDecider.Decide(null, new EnableTenantEncryption("t", appPerUser, enterprise), Now);
        decision.Events.ShouldHaveSingleItem().ShouldBeOfType<TenantEnabled>().QualifyingLicences.ShouldBe(appPerUser + enterprise);
    }

    [Theory]
    [Trait("Rule", "T1")]
    [InlineData(1000, 0)]
    [InlineData(500, 500)]
    [InlineData(0, 0)]
    public void A_thousand_or_fewer_are_refused_with_the_count_in_the_reason_T1(int appPerUser, int enterprise)
    {
        var decision = TenantEnablementDecider.Decide(null, new EnableTenantEncryption("t", appPerUser, enterprise), Now);
        decision.Refusal!.Rule.ShouldBe(Rules.T1);
        decision.Refusal.Reason.ShouldContain($"holds {appPerUser + enterprise} qualifying");
    }

    [Fact]
    public void Enabling_again_changes_nothing()
    {
        var state = TenantEnablement.Create(new TenantEnabled("t", 2000, 0, 2000, Now));
        TenantEnablementDecider.Decide(state, new EnableTenantEncryption("t", 5000, 0), Now.AddDays(1)).Events.ShouldBeEmpty();
    }
}
