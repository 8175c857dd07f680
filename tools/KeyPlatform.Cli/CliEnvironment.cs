using Spectre.Console;

namespace KeyPlatform.Cli;

/// <summary>Everything a command touches outside itself: where it writes, how it reaches a service, the environment
/// variables it reads. The process uses <see cref="FromProcess"/>; tests pass writers and the HttpClient of an
/// in-process host.</summary>
public sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }

    /// <summary>Makes the client for one service's base URL; the CLI disposes it after the command.</summary>
    public required Func<Uri, HttpClient> HttpClientFactory { get; init; }

    public Func<string, string?> Variable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The clock of waits (the device code flow's polling and deadline); tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A terminal a live progress display can redraw (false when output is redirected).</summary>
    public bool Interactive { get; init; }

    /// <summary>Columns of the tables; null: the terminal's width.</summary>
    public int? Width { get; init; }

    public static CliEnvironment FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        HttpClientFactory = _ => new HttpClient { Timeout = TimeSpan.FromMinutes(15) },
        Interactive = !Console.IsOutputRedirected,
        Width = Console.IsOutputRedirected ? 240 : null,
    };

    internal IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (Width is { } width) console.Profile.Width = width;
        return console;
    }
}
