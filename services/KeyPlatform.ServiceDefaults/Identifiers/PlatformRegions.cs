using Microsoft.Extensions.Configuration;

namespace KeyPlatform.ServiceDefaults.Identifiers;

/// <summary>The regions the platform serves (X3): configuration section <c>Platform:Regions</c>, one list for every
/// service and the vault. An array (<c>Platform:Regions:0=europe</c>) or one comma-separated value
/// (<c>Platform__Regions=europe,unitedstates</c>). Every name must already be canonical (see
/// <see cref="PlatformIds.RegionPattern"/>): a bad list stops the host at start, it is never repaired.</summary>
public sealed class PlatformRegions
{
    public const string SectionName = "Platform:Regions";

    /// <summary>Used when the section is absent: the platform's geographies.</summary>
    public static readonly IReadOnlyList<string> Defaults =
    [
        "unitedstates", "europe", "asia", "australia", "india", "japan", "canada", "southamerica", "unitedkingdom",
        "france", "germany", "switzerland", "norway", "korea", "southafrica", "uae", "singapore", "sweden",
    ];

    private readonly HashSet<string> _known;

    public PlatformRegions(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Names = names.ToList();
        if (Names.Count == 0)
            throw new InvalidOperationException($"{SectionName} lists no region.");
        if (Names.FirstOrDefault(name => !PlatformIds.IsCanonicalRegion(name)) is { } bad)
            throw new InvalidOperationException(
                $"{SectionName} holds '{PlatformIds.Shown(bad)}', which is not a canonical region name ({PlatformIds.RegionPattern}).");
        _known = new HashSet<string>(Names, StringComparer.Ordinal);
        if (_known.Count != Names.Count)
            throw new InvalidOperationException($"{SectionName} names a region twice.");
    }

    /// <summary>The configured regions, in configuration order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Exactly as configured: no trimming, no case folding.</summary>
    public bool IsConfigured(string region) => _known.Contains(region);

    public static PlatformRegions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        if (section.Value is { } commaSeparated)
            return new PlatformRegions(commaSeparated.Split(','));
        var listed = section.GetChildren().Select(child => child.Value ?? "").ToList();
        return new PlatformRegions(listed.Count == 0 ? Defaults : listed);
    }

    public override string ToString() => string.Join(", ", Names);
}
