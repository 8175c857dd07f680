using System.Collections.Concurrent;
using MassTransit;

namespace KeyPlatform.Testing;

/// <summary>Listens on a temporary queue for every published message of one type, as another platform service
/// subscribed to our integration events would.</summary>
public sealed class BusProbe<T> : IAsyncDisposable where T : class
{
    private readonly ConcurrentQueue<ConsumeContext<T>> received = new();
    private HostReceiveEndpointHandle? handle;

    public IReadOnlyCollection<ConsumeContext<T>> Received => received;

    public static async Task<BusProbe<T>> StartAsync(IBus bus)
    {
        var probe = new BusProbe<T>();
        probe.handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance,
            endpoint => endpoint.Handler<T>(context =>
            {
                probe.received.Enqueue(context);
                return Task.CompletedTask;
            }));
        await probe.handle.Ready;
        return probe;
    }

    public Task<ConsumeContext<T>> WaitForAsync(Func<T, bool> match, string what) =>
        Eventually.GetAsync(() => Task.FromResult(received.FirstOrDefault(c => match(c.Message))), what);

    public async ValueTask DisposeAsync()
    {
        if (handle is not null) await handle.StopAsync();
    }
}
