using System.Net.Http.Json;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using MassTransit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using KeyServiceApp = KeyPlatform.KeyService.Program;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace KeyPlatform.Authorization.Tests;

/// <summary>One of the three services in-process, with what the matrix needs of it: its endpoints, the message types
/// its consumers take, its queue and an HTTP client.</summary>
public sealed class PlatformHost(string service, string queue, IServiceProvider services, Func<HttpClient> client,
    IReadOnlyList<Type> consumedMessages, string schema)
{
    public string Service { get; } = service;
    public string Queue { get; } = queue;
    public string Schema { get; } = schema;
    public IServiceProvider Services { get; } = services;
    public HttpClient CreateClient() => client();

    /// <summary>Every endpoint the service maps, as ASP.NET Core routes it.</summary>
    public IReadOnlyList<RouteEndpoint> Endpoints =>
        Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    /// <summary>Every message type a consumer of the service takes from its queue (a batch consumer's item type).</summary>
    public IReadOnlyList<Type> ConsumedMessages { get; } = consumedMessages;
}

/// <summary>KeyService, EnvironmentEncryption and TenantLock in-process on one test virtual host, and a bus of another
/// platform service (<see cref="Sender.PlatformService"/>) to send commands as a user would through it.</summary>
public sealed class PlatformHosts : IAsyncLifetime
{
    public const string Region = "europe";

    /// <summary>An environment registered in <see cref="Caller.OtherTenant"/>: registering it again is always
    /// refused by a rule, so a caller allowed to register is told so without changing anything.</summary>
    public const string TakenEnvironment = "env-taken";

    private readonly TestBroker broker = new();
    private readonly List<IAsyncDisposable> disposables = [];

    public IReadOnlyList<PlatformHost> Hosts { get; private set; } = [];
    public TestBus PlatformBus { get; private set; } = null!;
    public TestBroker Broker => broker;
    public JwtOptions Jwt { get; } = new();

    public PlatformHost Host(string service) => Hosts.Single(h => h.Service == service);

    public async Task InitializeAsync()
    {
        await broker.InitializeAsync();
        PlatformBus = await TestBus.StartAsync(broker, Sender.PlatformService);
        Hosts =
        [
            Start<KeyServiceApp>("KeyService", "keys", Queues.KeyService),
            Start<EnvironmentEncryptionApp>("EnvironmentEncryption", "environments", Queues.EnvironmentEncryption),
            Start<TenantLockApp>("TenantLock", "tenant_lock", Queues.TenantLock),
        ];
        var registered = await Host("EnvironmentEncryption").CreateClient().WithToken(
                DevTokens.Mint(Jwt, "operator@*", "*", [PlatformRoles.PlatformOperator]))
            .PostAsJsonAsync($"/v1/tenants/{Caller.OtherTenant}/environments", HttpSamples.Registration(TakenEnvironment));
        registered.IsSuccessStatusCode.ShouldBeTrue(await registered.Content.ReadAsStringAsync());
    }

    private PlatformHost Start<TProgram>(string service, string schemaName, string queue) where TProgram : class
    {
        IServiceCollection? captured = null;
        var host = new ServiceHost<TProgram>(broker, schemaName, configureServices: services => captured = services);
        disposables.Add(host);
        _ = host.CreateClient();
        return new PlatformHost(service, queue, host.Services, host.CreateClient, ConsumedMessages(captured!), host.Schema);
    }

    private static IReadOnlyList<Type> ConsumedMessages(IServiceCollection services) =>
        services.Select(d => d.ImplementationType ?? d.ServiceType)
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Distinct()
            .SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            .Select(m => m.IsGenericType && m.GetGenericTypeDefinition() == typeof(Batch<>) ? m.GetGenericArguments()[0] : m)
            .Where(m => m.Namespace?.StartsWith("KeyPlatform", StringComparison.Ordinal) == true)
            .Distinct()
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();

    public async Task DisposeAsync()
    {
        foreach (var disposable in disposables) await disposable.DisposeAsync();
        await PlatformBus.DisposeAsync();
        await broker.DisposeAsync();
    }
}

public static class HttpClientTokens
{
    public static HttpClient WithToken(this HttpClient client, string? token)
    {
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformHosts>
{
    public const string Name = "platform";
}
