using System.Diagnostics;

namespace KeyPlatform.Vault.Tests.Support;

/// <summary>
/// Another process on a SoftHSM token (<c>tests/KeyPlatform.Vault.Peer</c>, built beside the tests): it loads the library,
/// logs in and runs one vault call, as another service instance would. It inherits the test's environment (the token of
/// scripts/infra.sh).
/// </summary>
internal static class PeerProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments)
    {
        var peer = Path.Combine(AppContext.BaseDirectory, "KeyPlatform.Vault.Peer.dll");
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet, [peer, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };

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
