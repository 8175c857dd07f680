using System.Text.Json.Nodes;
using KeyPlatform.Testing;
using KeyServiceApp = KeyPlatform.KeyService.Program;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace KeyPlatform.OpenApi.Tests;

/// <summary>The three services in-process on the real PostgreSQL and RabbitMQ (one virtual host, a schema each),
/// sharing one fake clock, and the OpenAPI document each serves.</summary>
public sealed class PlatformServices : IAsyncLifetime
{
    /// <summary>The services by the name of their checked-in document (<c>docs/openapi/{name}.json</c>).</summary>
    public static readonly string[] Names = ["key-service", "environment-encryption", "tenant-lock"];

    public TestBroker Broker { get; } = new();
    public ServiceHost<KeyServiceApp> Keys { get; private set; } = null!;
    public ServiceHost<EnvironmentEncryptionApp> Environments { get; private set; } = null!;
    public ServiceHost<TenantLockApp> Locks { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        Keys = new ServiceHost<KeyServiceApp>(Broker, "keys");
        Environments = new ServiceHost<EnvironmentEncryptionApp>(Broker, "environments", Keys.Clock);
        Locks = new ServiceHost<TenantLockApp>(Broker, "tenant_lock", Keys.Clock);
        // Creating the clients starts the hosts: the consumers' queues exist before anything is published.
        _ = Environments.CreateClient();
        _ = Locks.CreateClient();
        _ = Keys.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await Keys.DisposeAsync();
        await Environments.DisposeAsync();
        await Locks.DisposeAsync();
        await Broker.DisposeAsync();
    }

    public HttpClient AnonymousClient(string service) => service switch
    {
        "key-service" => Keys.CreateClient(),
        "environment-encryption" => Environments.CreateClient(),
        "tenant-lock" => Locks.CreateClient(),
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, null),
    };

    public IServiceHost HostOf(string service) => service switch
    {
        "key-service" => new Host<KeyServiceApp>(Keys),
        "environment-encryption" => new Host<EnvironmentEncryptionApp>(Environments),
        "tenant-lock" => new Host<TenantLockApp>(Locks),
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, null),
    };

    /// <summary>The schema of the service's Marten event store (its <c>mt_events</c> table).</summary>
    public string SchemaOf(string service) => service switch
    {
        "key-service" => Keys.Schema,
        "environment-encryption" => Environments.Schema,
        "tenant-lock" => Locks.Schema,
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, null),
    };

    /// <summary>The document the service serves at <c>/openapi/v1.json</c>, without a token.</summary>
    public async Task<string> ServedDocumentAsync(string service)
    {
        var response = await AnonymousClient(service).GetAsync("/openapi/v1.json");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<JsonObject> ServedDocumentNodeAsync(string service) =>
        JsonNode.Parse(await ServedDocumentAsync(service))!.AsObject();
}

/// <summary>What a test needs of a host, whichever service it runs.</summary>
public interface IServiceHost
{
    KeyPlatform.ServiceDefaults.Auth.JwtOptions Jwt { get; }
    HttpClient CreateClient();
}

internal sealed class Host<TProgram>(ServiceHost<TProgram> host) : IServiceHost where TProgram : class
{
    public KeyPlatform.ServiceDefaults.Auth.JwtOptions Jwt => host.Jwt;
    public HttpClient CreateClient() => host.CreateClient();
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformServices>
{
    public const string Name = "platform services";
}
