using JasperFx.Events.Projections;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.ServiceDefaults.Identifiers;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.Dashboard;
using KeyPlatform.TenantLock.Messaging;
using KeyPlatform.TenantLock.TenantLocks;
using KeyPlatform.TenantLock.TenantLocks.Deadlines;
using KeyPlatform.TenantLock.TenantLocks.Locking;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using KeyPlatform.TenantLock.TenantLocks.Observing;
using KeyPlatform.TenantLock.TenantLocks.Unlocking;
using KeyPlatform.TenantLock.Tenants;
using KeyPlatform.Vault.DependencyInjection;

namespace KeyPlatform.TenantLock;

public sealed class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "tenant-lock",
            Sender = Sender.TenantLock,
            Schema = "tenant_lock",
            Queue = Queues.TenantLock,
            ConfigureMarten = marten =>
            {
                // Decision state: the lean cycle and one document per (cycle, environment), both inline with the events.
                marten.Projections.Add(new TenantLockCycleProjection(), ProjectionLifecycle.Inline);
                marten.Projections.Add(new LockCycleEnvironmentProjection(), ProjectionLifecycle.Inline);
                marten.Schema.For<LockCycleEnvironment>().Index(e => e.LockCycleId);
                // Read model (S4): the lock progress, a projection of its own.
                marten.Projections.Add(new LockProgressProjection(), ProjectionLifecycle.Inline);
                // The ordering guard of the facts kept of other services' streams (decision 0029).
                marten.AddAppliedSourceVersions();
            },
            Aggregates = new AggregateRegistry().Stream<TenantLockCycle>("tenant-lock:"),
            ConfigureConsumers = bus =>
            {
                bus.AddConsumer<TenantEncryptionEnabledConsumer>();
                bus.AddConsumer<KeyServiceObservers>();
                bus.AddConsumer<EnvironmentObservers>();
            },
        });
        var services = builder.Services;
        services.AddValidation(); // here, not in the backbone: the generator finds the request types of this assembly
        services.AddKeyVault(builder.Configuration, vault =>
        {
            vault.Regions = PlatformRegions.FromConfiguration(builder.Configuration).Names;
            vault.ConnectionString = VaultDatabaseRole.ConnectionString(builder.Configuration);
        });
        services.AddSingleton(builder.Configuration.GetSection("Rules").Get<TenantLockRules>() ?? new TenantLockRules());
        services.AddSingleton<IIntegrationEventMap, TenantLockIntegrationEvents>();
        services.AddSingleton<LockCycles>();
        services.AddSingleton<KeyPossession>();
        services.AddScoped<ICommandHandler<RequestTenantLock>, RequestTenantLockHandler>();
        services.AddScoped<ICommandHandler<ResumeTenantLock>, ResumeTenantLockHandler>();
        services.AddScoped<ICommandHandler<UnlockTenantKey>, UnlockTenantKeyHandler>();
        services.AddDeadlineHandler<LockDeadline, LockDeadlineHandler>();
        services.AddDashboard(builder.Configuration);

        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapTenantLockStatus();
        app.MapTenantLocks();
        app.MapDashboard();
        await app.RunAsync();
    }
}
