using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.ServiceDefaults.Persistence;

public static class MartenSetup
{
    public static string PostgresConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres")
        ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not configured.");

    /// <summary>One schema per service; string stream keys; actor, correlation and causation metadata on every
    /// event; LISTEN/NOTIFY so the daemon (projections, relay) reacts in milliseconds instead of polling.</summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddPlatformMarten(
        this IServiceCollection services, IConfiguration configuration, string schema, Action<StoreOptions>? configure)
    {
        var connectionString = configuration.PostgresConnectionString();
        var daemonMode = configuration.GetValue("Marten:DaemonMode", DaemonMode.HotCold);
        return services.AddMarten(options =>
            {
                options.Connection(connectionString);
                options.DatabaseSchemaName = schema;
                options.Events.DatabaseSchemaName = schema;
                options.Events.StreamIdentity = StreamIdentity.AsString;
                options.Events.MetadataConfig.EnableAll();
                options.Events.MetadataConfig.UserNameEnabled = true; // EnableAll() leaves user_name (the actor) off in Marten 9
                options.Events.UseListenNotifyForEventAppends = true;
                // LISTEN/NOTIFY can miss a wake-up while the daemon is busy; a short fallback poll bounds that tail
                // (measured: relay p99 from ~1 s to ~150 ms, docs/benchmarks.md) for a few cheap queries a second.
                options.Projections.SlowPollingTime = configuration.GetValue("Marten:SlowPollingTime", TimeSpan.FromMilliseconds(100));
                options.Projections.FastPollingTime = configuration.GetValue("Marten:FastPollingTime", TimeSpan.FromMilliseconds(50));
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                // The retention (Retention) deletes by age: each kept-for-a-while row is indexed by when it was kept.
                options.Schema.For<HandledMessage>().Index(m => m.HandledAt);
                options.Schema.For<RememberedAnswer>().UseOptimisticConcurrency(true).Index(a => a.RecordedAt);
                options.Schema.For<Deadlines.Deadline>().UseOptimisticConcurrency(true)
                    .Index(d => d.DueAt).Index(d => d.FiredAt);
                configure?.Invoke(options);
            })
            .ApplyAllDatabaseChangesOnStartup()
            .UseLightweightSessions()
            .AddAsyncDaemon(daemonMode);
    }
}
