using JasperFx;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Testing;
using Marten;

namespace KeyPlatform.Benchmarks.Relay;

/// <summary>Another service on the same database, as the platform's three services are: a Marten store in a schema of
/// its own with LISTEN/NOTIFY on, appending one event at a time at a steady rate while it runs.</summary>
internal sealed class NeighbourWriter(string schema, TimeSpan interval) : IAsyncDisposable
{
    private readonly DocumentStore store = DocumentStore.For(options =>
    {
        options.Connection(TestInfrastructure.PostgresConnectionString);
        options.DatabaseSchemaName = schema;
        options.Events.DatabaseSchemaName = schema;
        options.Events.StreamIdentity = JasperFx.Events.StreamIdentity.AsString;
        options.Events.UseListenNotifyForEventAppends = true;
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
    });

    private CancellationTokenSource? running;
    private Task? loop;

    public long Appended { get; private set; }

    public void Start()
    {
        running = new CancellationTokenSource();
        var token = running.Token;
        loop = Task.Run(async () =>
        {
            var next = Clock.Now;
            while (!token.IsCancellationRequested)
            {
                await using (var session = store.LightweightSession())
                {
                    session.Events.Append($"neighbour:{Guid.NewGuid():N}", new BenchNoteWritten("neighbour"));
                    await session.SaveChangesAsync(CancellationToken.None);
                }
                Appended++;
                next += (long)(interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
                var wait = Clock.Ms(Clock.Now, next);
                if (wait > 0)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(wait), token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        });
    }

    public async Task StopAsync()
    {
        if (running is null || loop is null) return;
        await running.CancelAsync();
        await loop;
        running.Dispose();
        running = null;
        loop = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        store.Dispose();
    }
}
