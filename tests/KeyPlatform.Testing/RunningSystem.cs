using KeyPlatform.Contracts.Messaging;
using System.Globalization;
using System.Net.Http.Headers;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Time;

namespace KeyPlatform.Testing;

/// <summary>The three services as separate processes on the real PostgreSQL and RabbitMQ, with schemas and a virtual
/// host of their own, sharing one clock-offset file (docs/decisions/0002) so the test moves time for all of them. Each
/// service connects with its own database login and broker user; the run's schemas are made beforehand, each owned
/// by its role (deploy/postgres/roles.tsv), and dropped at the end by the admin login.</summary>
public sealed class RunningSystem : IAsyncDisposable
{
    private readonly TestBroker broker = new();
    private readonly string clockFile = Path.Combine(Path.GetTempPath(), $"kp-clock-{Guid.NewGuid():N}");
    private TimeSpan offset = TimeSpan.Zero;
    // Each vault gateway client's secret for this run (docs/decisions/0020); KeyService is given their SHA-256 only.
    private readonly Dictionary<string, string> gatewaySecrets = new()
    {
        ["EnvironmentEncryption"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["TenantLock"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    };

    public ServiceProcess Keys { get; private set; } = null!;
    public ServiceProcess Environments { get; private set; } = null!;
    public ServiceProcess Locks { get; private set; } = null!;
    public JwtOptions Jwt { get; } = new();

    /// <summary>The PostgreSQL schema of a service's event store in this run (<c>keys</c>, <c>environments</c>,
    /// <c>tenant_lock</c>), for a test that reads what a service committed.</summary>
    public string Schema(string service) => broker.Schema(service);

    /// <summary>The RabbitMQ virtual host the services share, for a test that listens to the contracts.</summary>
    public string VirtualHost => broker.VirtualHost;

    public static async Task<RunningSystem> StartAsync(IDictionary<string, string>? rules = null)
    {
        var system = new RunningSystem();
        await system.broker.InitializeAsync();
        try
        {
            await DatabaseLogins.CreateSchemasAsync(system.broker.Schema);
            system.Keys = system.Service("KeyService", "keys", rules);
            system.Environments = system.Service("EnvironmentEncryption", "environments", rules);
            // The saga's dashboard reads the other two services' projections (S4).
            system.Locks = system.Service("TenantLock", "tenant_lock", new Dictionary<string, string>(rules ?? new Dictionary<string, string>())
            {
                ["Services__KeyService"] = system.Keys.BaseAddress.ToString(),
                ["Services__EnvironmentEncryption"] = system.Environments.BaseAddress.ToString(),
            });
            await Task.WhenAll(system.Keys.StartAsync(), system.Environments.StartAsync(), system.Locks.StartAsync());
        }
        catch
        {
            // A service that did not start (or could not be set up) leaves the others running and the run's schemas and
            // virtual host in place: stop and drop them.
            await system.DisposeAsync();
            throw;
        }
        return system;
    }

    private ServiceProcess Service(string name, string schema, IDictionary<string, string>? rules)
    {
        var sender = Enum.Parse<Sender>(name);
        var (user, password) = TestInfrastructure.BrokerUser(sender);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = DatabaseLogins.ConnectionString(sender),
            ["Marten__Schema"] = broker.Schema(schema),
            ["RabbitMq__Host"] = TestInfrastructure.RabbitHost,
            ["RabbitMq__Port"] = TestInfrastructure.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq__Username"] = user,
            ["RabbitMq__Password"] = password,
            ["RabbitMq__VirtualHost"] = broker.VirtualHost,
            ["Vault__Schema"] = broker.Schema("vault"),
            ["Vault__MasterKey"] = TestInfrastructure.TestVaultMasterKey,
            ["Testing__ClockOffsetFile"] = clockFile,
            ["Deadlines__PollInterval"] = "00:00:00.250",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in rules ?? new Dictionary<string, string>()) environment[key] = value;
        if (name == "KeyService")
        {
            foreach (var (client, secret) in gatewaySecrets)
                environment[$"VaultGateway__Clients__{client}__SecretSha256"] =
                    Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));
        }
        else
        {
            // The store's settings (master key, PIN) are KeyService's only: the others reach keys through its gateway.
            foreach (var key in environment.Keys.Where(key => key.StartsWith("Vault__", StringComparison.Ordinal)).ToList()) environment.Remove(key);
            environment["Vault__Provider"] = "Gateway";
            environment["Vault__Gateway__Address"] = Keys.BaseAddress.ToString();
            environment["Vault__Gateway__Client"] = name;
            environment["Vault__Gateway__Secret"] = gatewaySecrets[name];
        }
        return new ServiceProcess(name, environment);
    }

    /// <summary>Moves every service's clock forward (they read the offset file on their next clock read).</summary>
    public void Advance(TimeSpan by)
    {
        offset += by;
        OffsetFileTimeProvider.WriteOffset(clockFile, offset);
    }

    public DateTimeOffset Now => DateTimeOffset.UtcNow + offset;

    public HttpClient Client(ServiceProcess service, string tenant, params string[] roles) => Client(service, tenant, roles, []);

    public HttpClient Client(ServiceProcess service, string tenant, string[] roles, string[] environments)
    {
        var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(tenant, roles, environments));
        return client;
    }

    /// <summary>A bearer token the running services accept (for a browser, say).</summary>
    public string Token(string tenant, string[] roles, string[]? environments = null) =>
        DevTokens.Mint(Jwt, $"admin@{tenant}", tenant, roles, environments ?? []);

    public async Task RestartAsync(Func<RunningSystem, ServiceProcess> which)
    {
        var service = which(this);
        service.Kill();
        await service.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Null while a failed start had not made them yet.
        foreach (var service in new[] { Keys, Environments, Locks })
            if (service is not null) await service.DisposeAsync();
        await broker.DisposeAsync();
        File.Delete(clockFile);
    }
}
