using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KeyPlatform.Testing;

/// <summary>One of our services as a separate process, started from its own build output on a free loopback port.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string name;
    private readonly IReadOnlyDictionary<string, string> environment;
    private readonly StringBuilder output = new();
    private Process? process;

    public ServiceProcess(string name, IReadOnlyDictionary<string, string> environment)
    {
        this.name = name;
        this.environment = environment;
        Port = FreePort();
    }

    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public string Output { get { lock (output) return output.ToString(); } }

    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "KeyPlatform.sln"))) directory = directory.Parent;
            return directory?.FullName ?? throw new InvalidOperationException("KeyPlatform.sln not found above the test output.");
        }
    }

    private string Assembly
    {
        get
        {
            // bin/<Configuration>/net10.0/ (the trailing separator trimmed, or Parent would be net10.0's parent already)
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var path = Path.Combine(RepositoryRoot, "services", name, "bin", configuration, "net10.0", $"KeyPlatform.{name}.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.");
        }
    }

    /// <summary>True when no process runs (never started, killed, or dead by itself).</summary>
    public bool HasExited => process is null || process.HasExited;

    /// <param name="overrides">Settings for this start only, over the ones the service was made with (an empty value unsets
    /// one), e.g. a restart without the fault drill it died of.</param>
    public async Task StartAsync(IReadOnlyDictionary<string, string>? overrides = null)
    {
        process?.Dispose();
        var start = new ProcessStartInfo("dotnet", [Assembly, "--urls", BaseAddress.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Assembly)!,
        };
        start.Environment["RateLimits__Enabled"] = "false";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>()) start.Environment[key] = value;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => { lock (output) output.AppendLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { lock (output) output.AppendLine(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{name} exited at start:\n{Output}");
            try
            {
                if ((await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{name} did not become ready:\n{Output}");
    }

    /// <summary>SIGKILL: no graceful shutdown, whatever it was doing.</summary>
    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
