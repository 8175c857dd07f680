using System.Diagnostics;
using System.Net;

namespace KeyPlatform.Testing.Outbound;

/// <summary>Records every HTTP request any <see cref="HttpClient"/> of this process starts (the
/// <c>HttpHandlerDiagnosticListener</c> events of System.Net.Http, which fire before a connection is attempted, for
/// clients made with <c>new HttpClient()</c> as much as for factory clients), and keeps those to hosts that are not
/// loopback.</summary>
public sealed class OutboundRequestRecorder : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly List<IDisposable> subscriptions = [];
    private readonly List<Uri> outbound = [];

    public OutboundRequestRecorder() => subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));

    /// <summary>The requests to hosts other than loopback, in the order they started.</summary>
    public IReadOnlyList<Uri> NonLoopback { get { lock (outbound) return [.. outbound]; } }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name != "HttpHandlerDiagnosticListener") return;
        lock (subscriptions) subscriptions.Add(listener.Subscribe(this));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key is not ("System.Net.Http.HttpRequestOut.Start" or "System.Net.Http.Request")) return;
        if (value.Value?.GetType().GetProperty("Request")?.GetValue(value.Value) is not HttpRequestMessage { RequestUri: { } uri }) return;
        if (IsLoopback(uri)) return;
        lock (outbound)
            if (!outbound.Contains(uri)) outbound.Add(uri);
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    void IObserver<DiagnosticListener>.OnCompleted() { }
    void IObserver<DiagnosticListener>.OnError(Exception error) { }
    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }
    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }

    public void Dispose()
    {
        lock (subscriptions)
            foreach (var subscription in subscriptions) subscription.Dispose();
    }
}
