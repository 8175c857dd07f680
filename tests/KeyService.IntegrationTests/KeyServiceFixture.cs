using System.Collections.Concurrent;
using System.Net.Http.Json;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyService.IntegrationTests;

/// <summary>KeyService on the real PostgreSQL and RabbitMQ, with a fake clock and captured logs.</summary>
public class KeyServiceFixture : IAsyncLifetime
{
    private readonly bool kestrel;

    public KeyServiceFixture() : this(kestrel: false) { }

    /// <param name="kestrel">Serve on Kestrel on a loopback port instead of the in-memory test server: request size
    /// limits are Kestrel's and the test server has none.</param>
    protected KeyServiceFixture(bool kestrel) => this.kestrel = kestrel;

    public TestBroker Broker { get; } = new();
    public CapturedLogs Logs { get; } = new();
    public ServiceHost<KeyServiceApp> Host { get; private set; } = null!;

    /// <summary>Another platform service (commands with a user's token), and stand-ins for EnvironmentEncryption and
    /// the saga, each on its own broker user.</summary>
    public TestBus PlatformBus { get; private set; } = null!;
    public TestBus EnvironmentsBus { get; private set; } = null!;
    public TestBus SagaBus { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        PlatformBus = await TestBus.StartAsync(Broker, Sender.PlatformService);
        EnvironmentsBus = await TestBus.StartAsync(Broker, Sender.EnvironmentEncryption);
        SagaBus = await TestBus.StartAsync(Broker, Sender.TenantLock);
        Host = new ServiceHost<KeyServiceApp>(Broker, "keys",
            settings: new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" },
            configureServices: services =>
            {
                services.AddSingleton<ILoggerProvider>(Logs);
                ConfigureServices(services);
            });
        if (kestrel)
        {
            Host.UseKestrel(0);
            Host.StartServer();
        }
        _ = Host.CreateClient();
    }

    /// <summary>What a fixture changes in the service's container (after the service's own registrations).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await PlatformBus.DisposeAsync();
        await EnvironmentsBus.DisposeAsync();
        await SagaBus.DisposeAsync();
        await Broker.DisposeAsync();
    }

    /// <summary>A token of the actor, signed as the service expects.</summary>
    public string TokenOf(Actor actor) => DevTokens.Mint(Host.Jwt, actor.Subject, actor.TenantId, actor.Roles, actor.Environments);

    /// <summary>A new tenant with the feature on, and a client of its Power Platform admin.</summary>
    public async Task<(string Tenant, HttpClient Admin)> EnabledTenantAsync()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        (await Host.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement",
            new { appPerUserLicences = 1200, enterpriseLicences = 0 })).EnsureSuccessStatusCode();
        return (tenant, Host.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin));
    }
}

/// <summary>KeyService served by Kestrel, as in production.</summary>
public sealed class KestrelKeyServiceFixture() : KeyServiceFixture(kestrel: true);
