using System.Diagnostics;

namespace KeyPlatform.Vault.Tests.Support;

/// <summary>
/// Another process on a SoftHSM token (<c>tests/KeyPlatform.Vault.Peer</c>, built beside the tests): it loads the library,
/// logs in and runs one vault call, as another service instance would. It inherits the test's environment (the token of
/// scripts/infra.sh) unless <paramref name="environment"/> changes it; <paramref name="shellPrefix"/> runs it under a shell
/// line first (e.g. a file-size limit).
/// </summary>
internal static class PeerProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments,
        IReadOnlyDictionary<string, string>? environment = null, string? shellPrefix = null)
    {
        var peer = Path.Combine(AppContext.BaseDirectory, "KeyPlatform.Vault.Peer.dll");
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var start = shellPrefix is null
            ? new ProcessStartInfo(dotnet, [peer, .. arguments])
            : new ProcessStartInfo("/bin/bash", ["-c", $"{shellPrefix}; exec \"$0\" \"$@\"", dotnet, peer, .. arguments]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The peer process did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The peer process ({string.Join(' ', arguments)}) did not finish in 60 s.");
        }

        return (process.ExitCode, ((await output).Trim() + " " + (await errors).Trim()).Trim());
    }
}
