using System.CommandLine;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Cli.Operator;

internal static class CommandAction
{
    /// <summary>Runs <paramref name="body"/>; a <see cref="CliFailure"/> becomes its message on stderr and its exit code.</summary>
    public static void Set(Command command, CliEnvironment environment, Func<ParseResult, CancellationToken, Task> body) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await body(parse, cancellationToken);
                return ExitCodes.Ok;
            }
            catch (CliFailure failure)
            {
                await environment.Error.WriteLineAsync($"keyplatform: {failure.Message}");
                return failure.ExitCode;
            }
        });

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON for scripts instead of a table" };

    public static Option<int> LimitOption(int @default = OperationsQuery.DefaultLimit) => new("--limit")
    {
        Description = $"Items per page (1-{OperationsQuery.MaxLimit})",
        DefaultValueFactory = _ => @default,
    };

    public static Option<string?> AfterOption(string what) => new("--after") { Description = $"Start after this {what} (the 'more:' value of the previous page)" };

    public static int CheckedLimit(ParseResult parse, Option<int> limit)
    {
        var value = parse.GetValue(limit);
        return value is >= 1 and <= OperationsQuery.MaxLimit
            ? value
            : throw new CliFailure(ExitCodes.BadInput, $"--limit must be between 1 and {OperationsQuery.MaxLimit}, not {value}.");
    }
}
