using System.Text.RegularExpressions;

namespace KeyPlatform.Vault.Local;

/// <summary>Region names as the vault stores them: lowercase letters, digits and dashes ("westeurope", "us-east").</summary>
internal static partial class VaultRegion
{
    public static string Normalize(string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        var normalized = region.Trim().ToLowerInvariant();
        return RegionPattern().IsMatch(normalized)
            ? normalized
            : throw new ArgumentException(
                "A region name is 1 to 63 lowercase letters, digits or dashes, starting with a letter or digit.", nameof(region));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex RegionPattern();
}
