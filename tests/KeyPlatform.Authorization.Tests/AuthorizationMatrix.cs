namespace KeyPlatform.Authorization.Tests;

/// <summary>One row of <c>authorization-matrix.tsv</c>: an HTTP endpoint (<c>METHOD /route</c>) or a bus message
/// (its type name) of one service, with the expected outcome for every <see cref="Caller"/>; or, for a message that
/// only our own services may send, <c>only:Sender[,Sender]</c> in place of the cells.</summary>
public sealed record MatrixRow(string Surface, string Service, string Operation, IReadOnlyDictionary<string, string> Cells,
    IReadOnlyList<string>? OnlySenders)
{
    public string Key => $"{Surface} {Service} {Operation}";
}

/// <summary>The authorisation matrix, read from the tab-separated file next to the tests: the one place that says
/// who may call what. Lines starting with <c>#</c> are comments.</summary>
public sealed class AuthorizationMatrix
{
    public const string FileName = "authorization-matrix.tsv";
    private const string OnlyPrefix = "only:";

    private AuthorizationMatrix(IReadOnlyList<MatrixRow> rows) => Rows = rows;

    public IReadOnlyList<MatrixRow> Rows { get; }

    public MatrixRow? Find(string surface, string service, string operation) =>
        Rows.SingleOrDefault(r => r.Surface == surface && r.Service == service && r.Operation == operation);

    public static AuthorizationMatrix Load()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, FileName))
            .Where(line => line.Length > 0 && !line.StartsWith('#')).ToList();
        var header = lines[0].Split('\t');
        header[..3].ShouldBe(["surface", "service", "operation"], $"{FileName}: the first columns");
        header[3..].ShouldBe(Caller.All.Select(c => c.Column).ToArray(), $"{FileName}: one column per caller, in order");

        var rows = new List<MatrixRow>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split('\t');
            var (surface, service, operation) = (fields[0], fields[1], fields[2]);
            if (fields.Length == 4 && fields[3].StartsWith(OnlyPrefix, StringComparison.Ordinal))
            {
                rows.Add(new MatrixRow(surface, service, operation, new Dictionary<string, string>(),
                    fields[3][OnlyPrefix.Length..].Split(',')));
                continue;
            }
            fields.Length.ShouldBe(header.Length, $"{FileName}: '{line}' has {fields.Length} fields, the header {header.Length}");
            var cells = header[3..].Zip(fields[3..]).ToDictionary(p => p.First, p => p.Second);
            cells.Values.ShouldAllBe(cell => Outcome.IsValid(cell), $"{FileName}: '{line}' has a cell other than ok, 401, 403");
            rows.Add(new MatrixRow(surface, service, operation, cells, null));
        }
        rows.GroupBy(r => r.Key).Where(g => g.Count() > 1).Select(g => g.Key).ShouldBeEmpty($"{FileName}: rows named twice");
        return new AuthorizationMatrix(rows);
    }

    /// <summary>A row as it would be written, for a failure message that shows what was observed.</summary>
    public static string Format(string surface, string service, string operation, IReadOnlyDictionary<string, string> cells) =>
        string.Join('\t', new[] { surface, service, operation }.Concat(Caller.All.Select(c => cells[c.Column])));
}
