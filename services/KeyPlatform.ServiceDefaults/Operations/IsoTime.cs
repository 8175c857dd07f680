using System.Globalization;
using System.Text.RegularExpressions;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>The one time format operators type: ISO-8601, date or date and time, UTC unless an offset is given.
/// Shared by the endpoints and the CLI so both accept and refuse the same strings.</summary>
public static partial class IsoTime
{
    public const string Expected =
        "an ISO-8601 time such as 2026-01-05T09:00:00Z, 2026-01-05T10:00:00+01:00 or 2026-01-05 (UTC unless an offset is given)";

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && Shape().IsMatch(text.Trim())
               && DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture,
                   DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:?\d{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
