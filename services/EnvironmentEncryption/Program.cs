using JasperFx.Events.Projections;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.Backups.BackingUp;
using KeyPlatform.EnvironmentEncryption.Backups.Copying;
using KeyPlatform.EnvironmentEncryption.Backups.Resetting;
using KeyPlatform.EnvironmentEncryption.Backups.Restoring;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Environments.ApplyingTenantKey;
using KeyPlatform.EnvironmentEncryption.Environments.Locking;
using KeyPlatform.EnvironmentEncryption.Environments.Registering;
using KeyPlatform.EnvironmentEncryption.Environments.ReturningToPlatformKey;
using KeyPlatform.EnvironmentEncryption.Environments.Status;
using KeyPlatform.EnvironmentEncryption.Environments.Unlocking;
using KeyPlatform.EnvironmentEncryption.Messaging;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.ServiceDefaults.Identifiers;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault.DependencyInjection;
using Marten;
using MassTransit;

namespace KeyPlatform.EnvironmentEncryption;

public sealed class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var rules = builder.Configuration.GetSection(EnvironmentRules.Section).Get<EnvironmentRules>() ?? new EnvironmentRules();
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "environment-encryption",
            Sender = Sender.EnvironmentEncryption,
            Schema = "environments",
            Queue = Queues.EnvironmentEncryption,
            ConfigureMarten = ConfigureMarten,
            Aggregates = new AggregateRegistry()
                .Stream<TenantEnvironment>("environment:", StreamTenancy.EventProperty("TenantId"))
                .Stream<TenantFacts>("tenant-facts:")
                .Stream<RewrapRun>("rewrap:", StreamTenancy.EventProperty("TenantId")),
            ConfigureConsumers = bus =>
            {
                bus.AddConsumer<TenantEncryptionEnabledConsumer>();
                bus.AddConsumer<TenantKeyActivatedConsumer>();
                bus.AddConsumer<TenantKeyLockStartedConsumer>();
                bus.AddConsumer<TenantKeysLockedConsumer>();
                bus.AddConsumer<RewrapEnvironmentDataKeysConsumer>(consumer =>
                    consumer.ConcurrentMessageLimit = Math.Max(1, rules.RewrapConcurrentBatches));
                bus.AddConsumer<CompleteTenantKeyApplicationsConsumer>(consumer => consumer.Options<BatchOptions>(batch => batch
                    .SetMessageLimit(Math.Max(1, rules.RewrapBatchSize))
                    .SetTimeLimit(TimeSpan.FromMilliseconds(20))
                    .SetConcurrencyLimit(Math.Max(1, rules.RewrapConcurrentBatches))));
                bus.AddConsumer<CompleteReturnToPlatformKeyConsumer>();
                bus.AddConsumer<CommandConsumer<RegisterEnvironment>>();
                bus.AddConsumer<CommandConsumer<DeleteEnvironment>>();
                bus.AddConsumer<CommandConsumer<ApplyTenantKeyToEnvironment>>();
                bus.AddConsumer<CommandConsumer<ReturnEnvironmentToPlatformKey>>();
                bus.AddConsumer<CommandConsumer<LockEnvironment>>();
                bus.AddConsumer<CommandConsumer<UnlockEnvironment>>();
                bus.AddConsumer<CommandConsumer<DeleteLockedEnvironment>>();
                bus.AddConsumer<CommandConsumer<BackUpEnvironment>>();
                bus.AddConsumer<CommandConsumer<RestoreEnvironmentBackup>>();
                bus.AddConsumer<CommandConsumer<CopyEnvironment>>();
                bus.AddConsumer<CommandConsumer<ResetEnvironment>>();
            },
        });

        var services = builder.Services;
        services.AddValidation(); // here, not in the backbone: the generator finds the request types of this assembly
        services.AddKeyVault(builder.Configuration, vault =>
        {
            vault.Regions = PlatformRegions.FromConfiguration(builder.Configuration).Names;
            vault.ConnectionString = VaultDatabaseRole.ConnectionString(builder.Configuration);
        });
        services.AddSingleton(rules);
        services.AddSingleton<IIntegrationEventMap, EnvironmentEncryptionIntegrationEvents>();
        services.AddSingleton<EnvironmentReader>();
        services.AddSingleton<DataKeyVault>();
        services.AddSingleton<DataKeyCache>();
        services.AddHostedService<DataKeyCacheSweeper>();
        services.AddSingleton<DataKeyAccess>();
        services.AddSingleton<DataKeyRewrapper>();
        services.AddSingleton<AlgorithmRewrapStarter>();
        services.AddHostedService(provider => provider.GetRequiredService<AlgorithmRewrapStarter>());
        services.AddSingleton<RecordStore>();
        services.AddSingleton<RecordTransfer>();
        services.AddScoped<ICommandHandler<RegisterEnvironment>, RegisterEnvironmentHandler>();
        services.AddScoped<ICommandHandler<DeleteEnvironment>, DeleteEnvironmentHandler>();
        services.AddScoped<ICommandHandler<ApplyTenantKeyToEnvironment>, ApplyTenantKeyHandler>();
        services.AddScoped<ICommandHandler<ReturnEnvironmentToPlatformKey>, ReturnToPlatformKeyHandler>();
        services.AddScoped<ICommandHandler<LockEnvironment>, LockEnvironmentHandler>();
        services.AddSingleton<ICommandRefusalEvent<LockEnvironment>, LockEnvironmentRefusals>();
        services.AddScoped<ICommandHandler<UnlockEnvironment>, UnlockEnvironmentHandler>();
        services.AddScoped<ICommandHandler<DeleteLockedEnvironment>, DeleteLockedEnvironmentHandler>();
        services.AddScoped<ICommandHandler<BackUpEnvironment>, BackUpEnvironmentHandler>();
        services.AddScoped<ICommandHandler<RestoreEnvironmentBackup>, RestoreEnvironmentBackupHandler>();
        services.AddScoped<ICommandHandler<CopyEnvironment>, CopyEnvironmentHandler>();
        services.AddScoped<ICommandHandler<ResetEnvironment>, ResetEnvironmentHandler>();

        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapTenantFacts();
        app.MapEnvironmentRegistration();
        app.MapEnvironmentStatus();
        app.MapApplyTenantKey();
        app.MapReturnToPlatformKey();
        app.MapUnlockEnvironment();
        app.MapDataKeyRelease();
        app.MapRewrapProgress();
        app.MapRecordStore();
        app.MapBackups();
        app.MapRestore();
        app.MapCopy();
        app.MapReset();
        await app.RunAsync();
    }

    /// <summary>Streams: <c>environment:{id}</c>, <c>tenant-facts:{tenant}</c>, <c>rewrap:{id}</c>, each kept inline as
    /// a document. Records, backups, release audits and rewrap progress are documents of this service's schema.</summary>
    private static void ConfigureMarten(StoreOptions marten)
    {
        marten.Projections.Snapshot<TenantEnvironment>(SnapshotLifecycle.Inline);
        marten.Projections.Snapshot<TenantFacts>(SnapshotLifecycle.Inline);
        marten.Projections.Snapshot<RewrapRun>(SnapshotLifecycle.Inline);
        marten.Schema.For<TenantEnvironment>().Index(e => e.TenantId);
        marten.Schema.For<RewrapRun>().Index(r => r.TenantId);
        marten.Schema.For<EnvironmentRecord>().Index(r => r.EnvironmentId);
        marten.Schema.For<EnvironmentBackup>().Index(b => b.SourceEnvironmentId);
        marten.Schema.For<DataKeyReleaseRecord>().Index(r => r.EnvironmentId);
        marten.Schema.For<RewrapBatchResult>().Index(b => b.RewrapId);
        marten.Events.AddEventTypes(
        [
            typeof(EnvironmentRegistered), typeof(DataKeyGenerated), typeof(TenantKeyApplicationStarted), typeof(TenantKeyApplied),
            typeof(TenantKeyApplicationFailed), typeof(DataKeyRewrapped), typeof(DataKeyRewrapFailed), typeof(ReturnedToPlatformKey),
            typeof(DataKeyReplaced), typeof(ReturnToPlatformKeyStarted), typeof(ReturnToPlatformKeyFailed),
            typeof(LockStarted), typeof(LockCompleted), typeof(Unlocked), typeof(EnvironmentRemoved), typeof(BackupTaken),
            typeof(BackupRestored), typeof(EnvironmentCopiedFrom), typeof(EnvironmentReset), typeof(EncryptionStatusChanged),
            typeof(TenantFeatureEnabled), typeof(TenantKeyBecameActive), typeof(TenantKeysWereLocked), typeof(TenantKeyLockBegan), typeof(RewrapStarted),
        ]);
    }
}
