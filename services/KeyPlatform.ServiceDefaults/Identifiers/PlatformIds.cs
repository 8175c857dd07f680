using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.ServiceDefaults.Identifiers;

/// <summary>
/// X3: the one canonical form of every id that becomes part of a stream key, a document id or a vault key name.
/// A value in any other spelling (a space, another case, a no-break space, a ':') is refused, never normalised:
/// normalising one edge and not another is how <c>" europe"</c> once became a second key ring. See
/// docs/decisions/0005-canonical-ids.md.
/// </summary>
public sealed partial class PlatformIds(PlatformRegions regions)
{
    /// <summary>Tenant ids: lower-case ascii letters, digits and '-', 1 to 63, starting with a letter or digit
    /// (a tenant GUID in its usual lower-case form fits).</summary>
    public const string TenantIdPattern = "^[a-z0-9][a-z0-9-]{0,62}$";

    /// <summary>Environment ids: the same form as tenant ids.</summary>
    public const string EnvironmentIdPattern = "^[a-z0-9][a-z0-9-]{0,62}$";

    /// <summary>Region names: lower-case ascii letters, digits and '-', 1 to 32, starting with a letter; and one of
    /// <see cref="PlatformRegions"/>.</summary>
    public const string RegionPattern = "^[a-z][a-z0-9-]{0,31}$";

    /// <summary>The longest tenant id, environment id and region the patterns above admit (published in the OpenAPI
    /// document; a test holds them to the patterns).</summary>
    public const int TenantIdMaxLength = 63, EnvironmentIdMaxLength = 63, RegionMaxLength = 32;

    public PlatformRegions Regions => regions;

    public static bool IsCanonicalTenantId(string? value) => value is not null && TenantId().IsMatch(value);

    public static bool IsCanonicalEnvironmentId(string? value) => value is not null && EnvironmentId().IsMatch(value);

    public static bool IsCanonicalRegion(string? value) => value is not null && Region().IsMatch(value);

    public Refusal? CheckTenantId(string? value, string field = "tenant id") =>
        IsCanonicalTenantId(value)
            ? null
            : new Refusal(Rules.X3, $"The {field} '{Shown(value)}' is not in its canonical form: 1 to 63 lower-case ascii " +
                                    "letters, digits or '-', starting with a letter or digit (e.g. 'contoso').");

    public Refusal? CheckEnvironmentId(string? value, string field = "environment id") =>
        IsCanonicalEnvironmentId(value)
            ? null
            : new Refusal(Rules.X3, $"The {field} '{Shown(value)}' is not in its canonical form: 1 to 63 lower-case ascii " +
                                    "letters, digits or '-', starting with a letter or digit (e.g. 'env-1').");

    public Refusal? CheckRegion(string? value)
    {
        if (!IsCanonicalRegion(value))
            return new Refusal(Rules.X3, $"The region '{Shown(value)}' is not in its canonical form: lower-case ascii letters, " +
                                         $"digits or '-', starting with a letter, at most 32. Known regions: {regions}.");
        return regions.IsConfigured(value!)
            ? null
            : new Refusal(Rules.X3, $"The region '{value}' is not a configured region. Known regions: {regions}.");
    }

    /// <summary>A value as a refusal can show it: characters outside printable ascii as <c>\uXXXX</c>, so
    /// <c>"europe\u00a0"</c> does not read as <c>"europe"</c>; long values cut.</summary>
    public static string Shown(string? value)
    {
        if (value is null) return "";
        var shown = new StringBuilder();
        foreach (var c in value.Length > 80 ? value[..80] : value)
        {
            if (c is >= '!' and <= '~') shown.Append(c);
            else shown.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }

        return value.Length > 80 ? shown.Append("...").ToString() : shown.ToString();
    }

    // \z, not $: in .NET '$' also matches before a final '\n'.
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TenantId();

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentId();

    [GeneratedRegex(@"\A[a-z][a-z0-9-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Region();
}
