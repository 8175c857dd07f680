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
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                options.Schema.For<HandledMessage>();
                options.Schema.For<Deadlines.Deadline>().UseOptimisticConcurrency(true)
                    .Index(d => d.DueAt);
                configure?.Invoke(options);
            })
            .ApplyAllDatabaseChangesOnStartup()
            .UseLightweightSessions()
            .AddAsyncDaemon(daemonMode);
    }
}
