using KeyPlatform.Contracts.Messaging;
using System.Net.Http.Headers;
using KeyPlatform.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Testing;

/// <summary>A service of ours running in-process on the real PostgreSQL and RabbitMQ, with its own schema and
/// RabbitMQ virtual host (shared by the hosts of one test, see <see cref="TestBroker"/>),
/// and a <see cref="FakeTimeProvider"/> clock.</summary>
public class ServiceHost<TProgram> : WebApplicationFactory<TProgram> where TProgram : class
{
    private readonly Dictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? configureServices;

    public ServiceHost(TestBroker broker, string service, FakeTimeProvider? clock = null,
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null, Sender? sender = null)
    {
        Sender = sender ?? SenderOf<TProgram>();
        var schema = broker.Schema(service);
        Schema = schema;
        VirtualHost = broker.VirtualHost;
        Clock = clock ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        this.configureServices = configureServices;
        this.settings = TestInfrastructure.HostSettings(broker.VirtualHost, Sender);
        this.settings["Marten:Schema"] = schema;
        this.settings["RabbitMq:RetryIntervals:0"] = "00:00:00.050";
        this.settings["RabbitMq:RetryIntervals:1"] = "00:00:00.100";
        this.settings["Deadlines:PollInterval"] = "00:00:00.200";
        this.settings["Vault:Schema"] = broker.Schema("vault");
        this.settings["Vault:MasterKey"] = TestInfrastructure.TestVaultMasterKey;
        // Burst tests send more than the abuse limits allow; the test of the limits turns them on.
        this.settings["RateLimits:Enabled"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) this.settings[key] = value;
    }

    /// <summary>The bus sender this host is (its broker user).</summary>
    public Sender Sender { get; }

    /// <summary>Our services' programs are <c>KeyPlatform.{Sender}.Program</c>.</summary>
    private static Sender SenderOf<T>() => Enum.Parse<Sender>(typeof(T).Assembly.GetName().Name!.Split('.')[^1]);

    public string Schema { get; }
    public string VirtualHost { get; }
    public FakeTimeProvider Clock { get; }
    public JwtOptions Jwt { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            configureServices?.Invoke(services);
        });
    }

    public HttpClient ClientFor(string tenantId, params string[] roles) => ClientFor(tenantId, roles, []);

    public HttpClient ClientFor(string tenantId, string[] roles, string[] environments)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokens.Mint(Jwt, $"user-{roles.FirstOrDefault() ?? "none"}@{tenantId}", tenantId, roles, environments));
        return client;
    }

    public HttpClient OperatorClient() => ClientFor("*", PlatformRoles.PlatformOperator);
}
