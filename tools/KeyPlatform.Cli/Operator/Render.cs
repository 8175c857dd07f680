using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace KeyPlatform.Cli.Operator;

/// <summary>Human tables (Spectre.Console) and <c>--json</c> output.</summary>
internal static class Render
{
    public static void Json<T>(CliEnvironment environment, T value) =>
        environment.Out.WriteLine(JsonSerializer.Serialize(value, OperatorClient.Json));

    public static void Table(IAnsiConsole console, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers) table.AddColumn(new TableColumn(new Text(header)));
        foreach (var row in rows) table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell ?? "")));
        console.Write(table);
    }

    /// <summary>Name and value, one per line.</summary>
    public static void Fields(IAnsiConsole console, IEnumerable<(string Name, string? Value)> fields)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var (name, value) in fields) grid.AddRow(new Text(name), new Text(value ?? ""));
        console.Write(grid);
    }

    /// <summary>The top-level properties of a JSON object as fields (arrays joined, nested objects as JSON).</summary>
    public static IEnumerable<(string, string?)> FieldsOf(JsonElement element) =>
        element.ValueKind != JsonValueKind.Object ? [] : element.EnumerateObject().Select(p => (p.Name, Scalar(p.Value)));

    public static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(Scalar)),
        _ => value.GetRawText(),
    };

    public static string? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? Scalar(value) : null;

    public static string Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? "";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Milliseconds(double value) => value.ToString("0", CultureInfo.InvariantCulture) + " ms";

    public static void NextPage(IAnsiConsole console, string? next)
    {
        if (next is not null) console.WriteLine($"more: --after {next}");
    }
}
