using KeyPlatform.ServiceDefaults.Identifiers;

namespace KeyPlatform.OpenApi.Tests;

/// <summary>The max lengths the document publishes are the ones the patterns admit.</summary>
public sealed class IdentifierLimitsTests
{
    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("tenant id", PlatformIds.TenantIdPattern, PlatformIds.TenantIdMaxLength)]
    [InlineData("environment id", PlatformIds.EnvironmentIdPattern, PlatformIds.EnvironmentIdMaxLength)]
    [InlineData("region", PlatformIds.RegionPattern, PlatformIds.RegionMaxLength)]
    public void Published_max_length_is_the_longest_value_the_pattern_admits_X3(string id, string pattern, int maxLength)
    {
        id.ShouldNotBeEmpty();
        var longest = new string('a', maxLength);
        System.Text.RegularExpressions.Regex.IsMatch(longest, pattern).ShouldBeTrue();
        System.Text.RegularExpressions.Regex.IsMatch(longest + "a", pattern).ShouldBeFalse();
        PlatformIds.IsCanonicalTenantId(new string('a', PlatformIds.TenantIdMaxLength + 1)).ShouldBeFalse();
        PlatformIds.IsCanonicalEnvironmentId(new string('a', PlatformIds.EnvironmentIdMaxLength)).ShouldBeTrue();
        PlatformIds.IsCanonicalRegion(new string('a', PlatformIds.RegionMaxLength)).ShouldBeTrue();
    }
}
