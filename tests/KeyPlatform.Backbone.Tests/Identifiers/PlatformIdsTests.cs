using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Identifiers;
using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Backbone.Tests.Identifiers;

/// <summary>X3: one canonical form for tenant, region and environment ids; anything else is refused, never repaired.</summary>
public sealed class PlatformIdsTests
{
    private static readonly PlatformIds Ids = new(new PlatformRegions(["europe", "unitedstates"]));

    [Theory, Trait("Rule", "X3")]
    [InlineData("contoso")]
    [InlineData("tenant-0a1b2c3d4e")]
    [InlineData("7f3c1a52-4b0e-4d36-9c1e-2f5b7e8d9a01")]
    [InlineData("0")]
    public void Canonical_tenant_ids_are_accepted_X3(string tenantId) => Ids.CheckTenantId(tenantId).ShouldBeNull();

    [Theory, Trait("Rule", "X3")]
    [InlineData("env-1")]
    [InlineData("env-a")]
    [InlineData("default-7f3c1a52-4b0e-4d36-9c1e-2f5b7e8d9a01")]
    public void Canonical_environment_ids_are_accepted_X3(string environmentId) => Ids.CheckEnvironmentId(environmentId).ShouldBeNull();

    public static TheoryData<string?> NotCanonicalIds => new()
    {
        null, "", " ", " contoso", "contoso ", "Contoso", "CONTOSO", "con:toso", "con toso", "contoso\n", "contoso\r\n", "con\ttoso",
        "contoso\u00a0", "contoso\u200b", "\uff43ontoso", "contos\u00f6", "-contoso", "con_toso", "con.toso", "con/toso", "con%3atoso",
        new string('a', 64),
    };

    [Theory, Trait("Rule", "X3")]
    [MemberData(nameof(NotCanonicalIds))]
    public void Tenant_and_environment_ids_in_any_other_form_are_refused_X3(string? id)
    {
        Ids.CheckTenantId(id)!.Rule.ShouldBe(Rules.X3);
        Ids.CheckEnvironmentId(id)!.Rule.ShouldBe(Rules.X3);
    }

    [Theory, Trait("Rule", "X3")]
    [InlineData(" europe")]
    [InlineData("Europe ")]
    [InlineData("europe\u00a0")]
    [InlineData("Europe")]
    [InlineData("EUROPE")]
    [InlineData("europe\n")]
    [InlineData("eur\u043epe")] // a Cyrillic 'o'
    [InlineData("")]
    [InlineData(null)]
    public void A_region_in_another_spelling_is_refused_never_mapped_onto_the_canonical_one_X3(string? region)
    {
        var refusal = Ids.CheckRegion(region)!;

        refusal.Rule.ShouldBe(Rules.X3);
        refusal.Reason.ShouldContain("canonical");
        refusal.Reason.ShouldContain("Known regions: europe, unitedstates");
    }

    [Fact, Trait("Rule", "X3")]
    public void A_canonical_region_that_is_not_configured_is_refused_naming_the_known_regions_X3()
    {
        var refusal = Ids.CheckRegion("made-up")!;

        refusal.Rule.ShouldBe(Rules.X3);
        refusal.Reason.ShouldBe("The region 'made-up' is not a configured region. Known regions: europe, unitedstates.");
    }

    [Fact, Trait("Rule", "X3")]
    public void Configured_regions_are_accepted_X3()
    {
        Ids.CheckRegion("europe").ShouldBeNull();
        Ids.CheckRegion("unitedstates").ShouldBeNull();
    }

    [Fact, Trait("Rule", "X3")]
    public void A_refusal_shows_invisible_characters_so_the_bad_id_can_be_told_from_the_good_one_X3()
    {
        Ids.CheckRegion("europe\u00a0")!.Reason.ShouldStartWith(@"The region 'europe\u00a0' is not in its canonical form");
        Ids.CheckTenantId(" contoso")!.Reason.ShouldStartWith(@"The tenant id '\u0020contoso' is not in its canonical form");
    }

    [Fact, Trait("Rule", "X3")]
    public void Without_configuration_the_default_regions_hold_every_region_the_tests_use_X3()
    {
        var regions = PlatformRegions.FromConfiguration(new ConfigurationBuilder().Build());

        regions.Names.ShouldBe(PlatformRegions.Defaults);
        regions.IsConfigured("europe").ShouldBeTrue();
        regions.IsConfigured("unitedstates").ShouldBeTrue();
        regions.IsConfigured("Europe").ShouldBeFalse();
    }

    [Fact, Trait("Rule", "X3")]
    public void Regions_are_configured_once_as_a_list_or_a_comma_separated_value_X3()
    {
        static PlatformRegions From(Dictionary<string, string?> settings) =>
            PlatformRegions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

        From(new() { ["Platform:Regions:0"] = "europe", ["Platform:Regions:1"] = "asia" }).Names.ShouldBe(["europe", "asia"]);
        From(new() { ["Platform:Regions"] = "europe,asia" }).Names.ShouldBe(["europe", "asia"]);
    }

    [Theory, Trait("Rule", "X3")]
    [InlineData("europe, asia")]
    [InlineData("Europe")]
    [InlineData("europe,europe")]
    [InlineData("europe,")]
    public void A_configured_region_list_that_is_not_canonical_stops_the_host_instead_of_being_repaired_X3(string configured) =>
        Should.Throw<InvalidOperationException>(() => PlatformRegions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Platform:Regions"] = configured }).Build()));
}
