using System.CommandLine;
using KeyPlatform.Cli.Operator;

namespace KeyPlatform.Cli;

/// <summary>The <c>keyplatform</c> command tree. Exit codes: <see cref="ExitCodes"/>.</summary>
public static class KeyPlatformCli
{
    public static RootCommand Build(CliEnvironment environment)
    {
        var root = new RootCommand("Key Platform operator CLI: streams, projections, locks, audit trail, tokens, clock, master key");
        root.Subcommands.Add(StreamsCommand.Create(environment));
        root.Subcommands.Add(ProjectionsCommand.Create(environment));
        root.Subcommands.Add(LocksCommand.Create(environment));
        root.Subcommands.Add(AuditCommand.Create(environment));
        root.Subcommands.Add(TokenCommand.Create(environment));
        root.Subcommands.Add(ClockCommand.Create());
        root.Subcommands.Add(MasterKeyCommand.Create(environment));
        return root;
    }

    /// <summary>Parses and runs; a command line that does not parse is exit code 2 with what is wrong.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var parse = Build(environment).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await environment.Error.WriteLineAsync($"keyplatform: {error.Message}");
            await environment.Error.WriteLineAsync("Try 'keyplatform --help'.");
            return ExitCodes.BadInput;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error }, cancellationToken);
    }
}
