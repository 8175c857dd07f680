using System.Diagnostics;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using JasperFx.Events.Descriptors;
using JasperFx.Events.Subscriptions;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>Lists the service's projections and rebuilds them from the events (S3) through Marten's projection daemon:
/// the daemon of the running coordinator when there is one (so an async projection's running agent is paused and
/// resumed, not raced), else a daemon built for the purpose. Inline projections (the snapshots kept with every
/// append) are rebuilt the same way. Subscriptions are never rebuilt: the integration event relay would publish every
/// event again. One rebuild at a time per process.
/// <para>Marten deletes an inline projection's documents and replays the events, and until it is done
/// <c>FetchForWriting</c> finds no snapshot for a stream that has events (checked: a null aggregate at the stream's
/// version). So a rebuild closes the service's <see cref="RebuildGate"/>: its commands wait until it is done.</para></summary>
internal sealed class ProjectionRebuilds(IDocumentStore store, IServiceProvider services, ILogger<ProjectionRebuilds> logger)
{
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    /// <summary>How long a rebuild may take before Marten gives up on it.</summary>
    public static readonly TimeSpan RebuildTimeout = TimeSpan.FromMinutes(10);

    public IReadOnlyList<ProjectionView> List() =>
        Projections().Select(p => new ProjectionView(p.Name, p.Type.ToString(), p.Lifecycle.ToString(),
            (p as IAggregateProjection)?.AggregateType.Name, EventTypes(p).Select(FriendlyName).Order(StringComparer.Ordinal).ToList())).ToList();

    /// <summary>A subscription (the relay) runs as a daemon shard but is not one of <see cref="Projections"/>.</summary>
    public bool IsSubscription(string name) =>
        !Exists(name) && (store.Options.Events.Projections().Any(p => p.Name == name)
                          || (store.Options is StoreOptions options && options.Projections.AllShards().Any(s => s.Name.Name == name)));

    public bool Exists(string name) => Projections().Any(p => p.Name == name);

    /// <summary>Null when another rebuild is running.</summary>
    public async Task<ProjectionsRebuildView?> RebuildAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        if (!await oneAtATime.WaitAsync(TimeSpan.Zero, cancellationToken)) return null;
        try
        {
            var total = Stopwatch.StartNew();
            await using var closed = await store.CloseForRebuildAsync(cancellationToken);
            var (daemon, owned) = await DaemonAsync();
            using var ownedDaemon = owned ? daemon : null;
            var results = new List<ProjectionRebuildView>();
            foreach (var name in names)
            {
                var projection = Projections().Single(p => p.Name == name);
                var highWaterMark = await HighWaterMarkAsync(cancellationToken);
                var watch = Stopwatch.StartNew();
                logger.LogInformation("Rebuilding projection {Projection} from the events up to {HighWaterMark}", name, highWaterMark);
                await daemon.RebuildProjectionAsync(name, RebuildTimeout, cancellationToken);
                watch.Stop();
                var processed = await CountEventsAsync(EventTypes(projection), highWaterMark, cancellationToken);
                logger.LogInformation("Rebuilt projection {Projection}: {Events} events in {Elapsed} ms", name, processed, watch.ElapsedMilliseconds);
                results.Add(new ProjectionRebuildView(name, processed, highWaterMark, watch.Elapsed.TotalMilliseconds));
            }
            return new ProjectionsRebuildView(results, results.Sum(r => r.EventsProcessed), total.Elapsed.TotalMilliseconds);
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary><c>Compacted`1[TenantKeyRing]</c> reads <c>Compacted&lt;TenantKeyRing&gt;</c>.</summary>
    private static string FriendlyName(Type type) =>
        type.IsGenericType
            ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(FriendlyName))}>"
            : type.Name;

    private IEnumerable<ISubscriptionSource> Projections() =>
        store.Options.Events.Projections().Where(p => p.Type != SubscriptionType.Subscription);

    private static IReadOnlyList<Type> EventTypes(ISubscriptionSource projection) =>
        projection is IAggregateProjection aggregate ? aggregate.AllEventTypes : [];

    private async Task<(IProjectionDaemon Daemon, bool Owned)> DaemonAsync()
    {
        if (services.GetService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>() is { } coordinator)
            return (coordinator.DaemonForMainDatabase(), false);
        return (await store.BuildProjectionDaemonAsync(), true);
    }

    private async Task<long> HighWaterMarkAsync(CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var sql = new SqlText(store.Options.Events.DatabaseSchemaName);
        await using var command = sql.Command($"select coalesce(max(seq_id), 0) from {sql.Table("mt_events")}");
        await using var reader = await session.ExecuteReaderAsync(command, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
    }

    /// <summary>The events a rebuild read: those of the projection's types (all events when it does not say) up to the
    /// high-water mark.</summary>
    private async Task<long> CountEventsAsync(IReadOnlyList<Type> eventTypes, long highWaterMark, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var sql = new SqlText(store.Options.Events.DatabaseSchemaName);
        var text = $"select count(*) from {sql.Table("mt_events")} e where e.seq_id <= {sql.Parameter(highWaterMark)}";
        if (eventTypes.Count > 0)
        {
            var known = store.Options.Events.AllKnownEventTypes();
            var aliases = eventTypes.Select(t => known.FirstOrDefault(k => k.EventType == t)?.EventTypeName).OfType<string>().ToArray();
            var dotNetNames = eventTypes.Select(t => $"{t.FullName}, {t.Assembly.GetName().Name}").ToArray();
            text += $" and (e.type = any({sql.Parameter(aliases)}) or e.mt_dotnet_type = any({sql.Parameter(dotNetNames)}))";
        }
        await using var command = sql.Command(text);
        await using var reader = await session.ExecuteReaderAsync(command, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
    }
}
