using System.Globalization;
using System.Text.RegularExpressions;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>The one time format operators type: ISO-8601, date or date and time, UTC unless an offset is given.
/// Shared by the endpoints (<see cref="Pattern"/> on their <c>?at=</c>, published in the OpenAPI document) and the CLI,
/// so both accept and refuse the same strings.</summary>
public static partial class IsoTime
{
    public const string Expected =
        "an ISO-8601 time such as 2026-01-05T09:00:00Z, 2026-01-05T10:00:00+01:00 or 2026-01-05 (UTC unless an offset is given)";

    /// <summary>The shape of a time; a string of this shape can still name no time (month 13), which
    /// <see cref="TryParse"/> refuses.</summary>
    public const string Pattern = @"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:?\d{2})?$";

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && Shape().IsMatch(text)
               && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                   DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
