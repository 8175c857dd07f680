using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace KeyPlatform.Benchmarks.Vault;

/// <summary>
/// A SoftHSM token of the bench's own, in a temporary directory (<c>softhsm2-util --init-token</c>), so the thousands of
/// keys the suite puts on it neither slow down nor disturb the tests of anyone else on the shared token of
/// <c>scripts/infra.sh</c> (those count objects). SoftHSM reads <c>SOFTHSM2_CONF</c> from the native environment when the
/// library is initialised, so it is set with libc's <c>setenv</c> before this process first loads the library.
/// </summary>
internal sealed class PrivateSoftHsmToken : IDisposable
{
    public const string Label = "kp-bench";

    private PrivateSoftHsmToken(string directory, string pin)
    {
        Directory = directory;
        Pin = pin;
    }

    public string Directory { get; }

    public string Pin { get; }

    public static PrivateSoftHsmToken Create()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("kp-bench-softhsm-").FullName;
        var tokens = System.IO.Directory.CreateDirectory(Path.Combine(directory, "tokens")).FullName;
        var conf = Path.Combine(directory, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        var pin = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var start = new ProcessStartInfo("softhsm2-util",
            ["--init-token", "--free", "--label", Label, "--so-pin", pin + "so", "--pin", pin])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["SOFTHSM2_CONF"] = conf;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("softhsm2-util did not start.");
        var errors = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)) || process.ExitCode != 0)
            throw new InvalidOperationException($"softhsm2-util --init-token failed: {errors}");
        if (setenv("SOFTHSM2_CONF", conf, 1) != 0)
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed.");
        return new PrivateSoftHsmToken(directory, pin);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable CA2101, CA1401, SYSLIB1054 // a plain libc call with ASCII arguments
    private static extern int setenv(string name, string value, int overwrite);
#pragma warning restore CA2101, CA1401, SYSLIB1054
}
