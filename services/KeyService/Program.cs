using JasperFx.Events.Projections;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.Messaging;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.KeyService.TenantKeys.Activating;
using KeyPlatform.KeyService.TenantKeys.Adding;
using KeyPlatform.KeyService.TenantKeys.Generating;
using KeyPlatform.KeyService.TenantKeys.Installing;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.KeyService.TenantKeys.Locking;
using KeyPlatform.KeyService.TenantKeys.OrphanKeys;
using KeyPlatform.KeyService.TenantKeys.LockedEnvironments;
using KeyPlatform.KeyService.TenantKeys.Uploading;
using KeyPlatform.KeyService.Tenants;
using KeyPlatform.KeyService.Tenants.Enabling;
using KeyPlatform.KeyService.VaultGateway;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.ServiceDefaults.Identifiers;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault.DependencyInjection;

namespace KeyPlatform.KeyService;

public sealed class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "key-service",
            Sender = Sender.KeyService,
            Schema = "keys",
            Queue = Queues.KeyService,
            ConfigureMarten = marten =>
            {
                marten.Projections.Snapshot<TenantKeyRing>(SnapshotLifecycle.Inline);
                marten.Schema.For<VaultGatewayImport>();
            },
            Aggregates = new AggregateRegistry().Stream<TenantKeyRing>("tenant-key:").Stream<TenantEnablement>("tenant:"),
            ConfigureConsumers = bus =>
            {
                bus.AddConsumer<CommandConsumer<EnableTenantEncryption>>();
                bus.AddConsumer<CommandConsumer<ActivateTenantKey>>();
                bus.AddConsumer<CommandConsumer<UploadTenantKeyByok>>();
                bus.AddConsumer<InstallTenantKeyConsumer>();
                bus.AddConsumer<LockTenantKeysConsumer>();
                bus.AddConsumer<DeleteLockedKeysConsumer>();
                bus.AddConsumer<CommandConsumer<ReinstateTenantKey>>();
                bus.AddConsumer<TenantLockCycleClosedConsumer>();
                bus.AddConsumer<EnvironmentLockConsumer>();
                bus.AddConsumer<EnvironmentUnlockConsumer>();
                bus.AddConsumer<EnvironmentDeletionConsumer>();
            },
        });
        var services = builder.Services;
        services.AddValidation(); // here, not in the backbone: the generator finds the request types of this assembly
        services.AddKeyVault(builder.Configuration, vault =>
        {
            vault.Regions = PlatformRegions.FromConfiguration(builder.Configuration).Names;
            vault.ConnectionString = VaultDatabaseRole.ConnectionString(builder.Configuration);
        });
        // The custody process: the only one with the vault secret; the others reach keys through its gateway.
        services.AddVaultGateway(builder.Configuration);
        services.AddSingleton<DeletedKeyCustody>();
        services.AddSingleton(builder.Configuration.GetSection("Rules").Get<TenantKeyRules>() ?? new TenantKeyRules());
        services.AddSingleton<IIntegrationEventMap, KeyServiceIntegrationEvents>();
        services.AddSingleton<TenantKeyFactsReader>();
        var orphanKeys = builder.Configuration.GetSection(OrphanKeyOptions.SectionName).Get<OrphanKeyOptions>() ?? new OrphanKeyOptions();
        orphanKeys.Validate();
        services.AddSingleton(orphanKeys);
        services.AddSingleton<OrphanKeyReconciler>();
        services.AddHostedService<OrphanKeyReconciliation>();
        services.AddScoped<TenantKeyAdding>();
        services.AddScoped<ICommandHandler<EnableTenantEncryption>, EnableTenantEncryptionHandler>();
        services.AddScoped<ICommandHandler<GenerateTenantKey>, GenerateTenantKeyHandler>();
        services.AddScoped<UploadTenantKeyHandler>();
        services.AddScoped<ICommandHandler<UploadTenantKeyPfx>>(sp => sp.GetRequiredService<UploadTenantKeyHandler>());
        services.AddScoped<ICommandHandler<UploadTenantKeyByok>>(sp => sp.GetRequiredService<UploadTenantKeyHandler>());
        services.AddScoped<ICommandHandler<ActivateTenantKey>, ActivateTenantKeyHandler>();
        services.AddScoped<ICommandHandler<LockTenantKeys>, LockTenantKeysHandler>();
        services.AddScoped<ICommandHandler<ReinstateTenantKey>, ReinstateTenantKeyHandler>();

        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapTenantEnablement();
        app.MapTenantKeys();
        app.MapKeyInventory();
        app.MapVaultGateway();
        await app.RunAsync();
    }
}
