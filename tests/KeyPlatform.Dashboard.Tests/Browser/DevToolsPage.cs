using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KeyPlatform.Dashboard.Tests.Browser;

/// <summary>One browser tab over the Chrome DevTools Protocol: JSON commands with an id on a WebSocket, answered by a
/// message with the same id; other messages are events. Only what the tests need: navigate, evaluate script, take a
/// screenshot, and the page's uncaught script errors.</summary>
public sealed class DevToolsPage : IAsyncDisposable
{
    private readonly ClientWebSocket socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly ConcurrentQueue<string> scriptErrors = new();
    private readonly CancellationTokenSource closing = new();
    private readonly SemaphoreSlim sending = new(1, 1);
    private readonly Task receiving;
    private int lastId;

    private DevToolsPage(ClientWebSocket socket)
    {
        this.socket = socket;
        receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>Uncaught exceptions and console errors of the page's scripts, as they happened.</summary>
    public IReadOnlyCollection<string> ScriptErrors => scriptErrors.ToArray();

    public static async Task<DevToolsPage> ConnectAsync(Uri webSocketUrl)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(webSocketUrl, timeout.Token);
        var page = new DevToolsPage(socket);
        await page.SendAsync("Page.enable");
        await page.SendAsync("Runtime.enable");
        return page;
    }

    public async Task<JsonElement> SendAsync(string method, object? parameters = null, TimeSpan? timeout = null)
    {
        var id = Interlocked.Increment(ref lastId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = answer;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await sending.WaitAsync();
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, closing.Token);
        }
        finally
        {
            sending.Release();
        }
        try
        {
            return await answer.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        finally
        {
            pending.TryRemove(id, out _);
        }
    }

    /// <summary>Loads the URL and waits until the document has loaded. A URL that differs only in its fragment does not
    /// reload the page: the page sees a hashchange.</summary>
    public async Task NavigateAsync(string url)
    {
        var result = await SendAsync("Page.navigate", new { url });
        if (result.TryGetProperty("errorText", out var error) && error.GetString() is { Length: > 0 } text)
            throw new InvalidOperationException($"Navigation to {url} failed: {text}");
        await WaitUntilAsync("document.readyState === 'complete'", "the page to load", TimeSpan.FromSeconds(15));
    }

    /// <summary>Runs a script expression in the page (promises awaited) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
            throw new InvalidOperationException($"Script failed: {exception}\n{expression}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var json) ? json.Clone() : default;
    }

    public async Task<string> TextAsync(string expression) =>
        await EvaluateAsync(expression) is { ValueKind: JsonValueKind.String } text ? text.GetString()! : "";

    /// <summary>Polls a script expression until it is true.</summary>
    public async Task WaitUntilAsync(string condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if ((await EvaluateAsync($"Boolean({condition})")).ValueKind == JsonValueKind.True) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what} ({condition}).");
            await Task.Delay(150);
        }
    }

    /// <summary>A PNG of the whole page, not only the window.</summary>
    public async Task ScreenshotAsync(string path)
    {
        var metrics = await SendAsync("Page.getLayoutMetrics");
        var size = metrics.GetProperty("cssContentSize");
        var clip = new { x = 0, y = 0, width = size.GetProperty("width").GetDouble(), height = size.GetProperty("height").GetDouble(), scale = 1 };
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip });
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, closing.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // closed
        }
        foreach (var answer in pending.Values) answer.TrySetException(new InvalidOperationException("The DevTools connection closed."));
    }

    private void Dispatch(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("id", out var id))
        {
            if (!pending.TryGetValue(id.GetInt32(), out var answer)) return;
            if (root.TryGetProperty("error", out var error))
                answer.TrySetException(new InvalidOperationException($"DevTools: {error}"));
            else
                answer.TrySetResult(root.GetProperty("result").Clone());
            return;
        }
        var method = root.GetProperty("method").GetString();
        var parameters = root.TryGetProperty("params", out var p) ? p : default;
        if (method == "Runtime.exceptionThrown")
            scriptErrors.Enqueue(parameters.GetProperty("exceptionDetails").ToString());
        else if (method == "Runtime.consoleAPICalled" && parameters.GetProperty("type").GetString() == "error")
            scriptErrors.Enqueue(JsonNode.Parse(parameters.GetProperty("args").GetRawText())!.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the browser went first
        }
        await closing.CancelAsync();
        await receiving;
        socket.Dispose();
        closing.Dispose();
        sending.Dispose();
    }
}
