using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace KeyPlatform.Dashboard.Tests.Browser;

/// <summary>Debian's Chromium, headless, driven over its DevTools protocol: no driver binary and no package, only
/// a WebSocket (see <see cref="DevToolsPage"/>). It gets a fresh profile in a temporary folder, deleted afterwards.
/// The executable is <c>KP_CHROMIUM</c>, or the first of chromium, chromium-browser, google-chrome on the PATH.</summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private static readonly string[] Executables = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    private readonly Process process;
    private readonly string profile;
    private readonly Queue<string> output = new();

    private HeadlessChromium(Process process, string profile)
    {
        this.process = process;
        this.profile = profile;
    }

    /// <summary>Chromium's last lines of output, for a failure message.</summary>
    public string Output { get { lock (output) return string.Join('\n', output); } }

    public static async Task<(HeadlessChromium Browser, DevToolsPage Page)> LaunchAsync(int width = 1280, int height = 1000)
    {
        var executable = FindExecutable();
        var profile = Directory.CreateTempSubdirectory("kp-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // As root on these machines Chromium needs --no-sandbox; the background-networking flags keep it from calling
        // out to a network that is closed here.
        foreach (var argument in (string[])
                 [
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
                     "--disable-default-apps", "--mute-audio", "--hide-scrollbars", $"--window-size={width},{height}",
                     $"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
                 ])
            start.ArgumentList.Add(argument);

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var browser = new HeadlessChromium(process, profile);
        process.OutputDataReceived += (_, line) => browser.Keep(line.Data);
        process.ErrorDataReceived += (_, line) => browser.Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var port = await browser.DevToolsPortAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var targets = await http.GetFromJsonAsync<JsonElement>("/json/list");
            var page = targets.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
            return (browser, await DevToolsPage.ConnectAsync(new Uri(page.GetProperty("webSocketDebuggerUrl").GetString()!)));
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    private static string FindExecutable()
    {
        if (Environment.GetEnvironmentVariable("KP_CHROMIUM") is { Length: > 0 } configured) return configured;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return Executables.SelectMany(name => path.Select(directory => Path.Combine(directory, name))).FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException(
                   "Chromium is not installed: apt-get install -y chromium (scripts/test.sh installs it), or set KP_CHROMIUM.");
    }

    /// <summary>With <c>--remote-debugging-port=0</c> Chromium picks a free port and writes it to the profile.</summary>
    private async Task<int> DevToolsPortAsync()
    {
        var file = Path.Combine(profile, "DevToolsActivePort");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"Chromium exited at start:\n{Output}");
            try
            {
                if (File.Exists(file) && File.ReadAllLines(file) is [var first, ..] && int.TryParse(first, out var port)) return port;
            }
            catch (IOException)
            {
                // being written
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Chromium did not open its DevTools port:\n{Output}");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.Enqueue(line);
            while (output.Count > 50) output.Dequeue();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(profile, recursive: true);
                return;
            }
            catch (IOException)
            {
                await Task.Delay(200); // a child process may still be closing a file
            }
        }
    }
}
