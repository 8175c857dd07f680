using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.Messaging;
using KeyPlatform.KeyService.Tenants.Enabling;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.ServiceDefaults.Messaging;

namespace KeyPlatform.KeyService;

public sealed class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddPlatformService(new PlatformServiceOptions
        {
            ServiceName = "key-service",
            Schema = "keys",
            Queue = Queues.KeyService,
            ConfigureConsumers = bus => bus.AddConsumer<CommandConsumer<EnableTenantEncryption>>(),
        });
        builder.Services.AddSingleton<IIntegrationEventMap, KeyServiceIntegrationEvents>();
        builder.Services.AddScoped<ICommandHandler<EnableTenantEncryption>, EnableTenantEncryptionHandler>();

        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapTenantEnablement();
        await app.RunAsync();
    }
}
