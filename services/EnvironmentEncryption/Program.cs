using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Hosting;

namespace KeyPlatform.EnvironmentEncryption;

public sealed class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "environment-encryption",
            Schema = "environments",
            Queue = Queues.EnvironmentEncryption,
            ConfigureConsumers = bus => bus.AddConsumer<TenantEncryptionEnabledConsumer>(),
        });

        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapTenantFacts();
        await app.RunAsync();
    }
}
