using System.Text.RegularExpressions;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>
/// Names people give things (key names, environment names) are printable text: no control characters (C0, DEL,
/// C1, so no NUL), no line or paragraph separators, and no bidirectional marks, embeddings, overrides or isolates
/// (a right-to-left override makes <c>"key\u202Efdp.exe"</c> read as <c>"keyexe.pdf"</c>). <see cref="Pattern"/> is
/// what request types declare (<c>[RegularExpression]</c>, published in the OpenAPI document); <see cref="Check"/> is
/// the same rule for commands that arrive over the bus.
/// </summary>
public static partial class DisplayText
{
    /// <summary>Also valid as an ECMAScript (JSON Schema) pattern.</summary>
    public const string Pattern = @"^[^\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]*$";

    public static bool IsPrintable(string value) => Printable().IsMatch(value);

    /// <summary>A refusal (VALIDATION) unless the value is 1 to <paramref name="maxLength"/> printable characters, not
    /// only white space. The value itself is never quoted back.</summary>
    public static Refusal? Check(string? value, int maxLength, string what) =>
        string.IsNullOrWhiteSpace(value) || value.Length > maxLength || !IsPrintable(value)
            ? Refusal.Invalid($"{what} must be 1 to {maxLength} printable characters (no control or bidirectional-override characters).")
            : null;

    // \z, not $: in .NET '$' also matches before a final '\n'.
    [GeneratedRegex(@"\A[^\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Printable();
}
