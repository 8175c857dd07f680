using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.TenantLock.Tenants;

namespace KeyPlatform.TenantLock;

public sealed class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "tenant-lock",
            Schema = "tenant_lock",
            Queue = Queues.TenantLock,
            ConfigureConsumers = bus => bus.AddConsumer<TenantEncryptionEnabledConsumer>(),
        });

        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapTenantLockStatus();
        await app.RunAsync();
    }
}
