using Npgsql;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>A parameterised SQL command over the service's event store schema: values only ever travel as
/// parameters, the schema name is quoted.</summary>
internal sealed class SqlText(string schema)
{
    private readonly List<NpgsqlParameter> parameters = [];

    public string Table(string name) => $"\"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\".{name}";

    public string Parameter(object value)
    {
        var name = $"p{parameters.Count}";
        parameters.Add(new NpgsqlParameter(name, value));
        return "@" + name;
    }

    public NpgsqlCommand Command(string text)
    {
        var command = new NpgsqlCommand(text);
        command.Parameters.AddRange(parameters.ToArray());
        return command;
    }

    /// <summary>Escapes LIKE wildcards (backslash is PostgreSQL's default escape character).</summary>
    public static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
