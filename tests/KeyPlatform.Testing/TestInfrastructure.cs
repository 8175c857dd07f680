using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Messaging;

namespace KeyPlatform.Testing;

/// <summary>Where the PostgreSQL and RabbitMQ started by <c>scripts/infra.sh</c> listen: the same variables the
/// services read, with the script's defaults.</summary>
public static class TestInfrastructure
{
    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=54329;Database=keyplatform;Username=keyplatform;Password=keyplatform";

    public static string RabbitHost => Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "127.0.0.1";
    public static ushort RabbitPort => ushort.Parse(Environment.GetEnvironmentVariable("RabbitMq__Port") ?? "56729");
    public static ushort RabbitManagementPort => ushort.Parse(Environment.GetEnvironmentVariable("RabbitMq__ManagementPort") ?? "15679");
    public static string RabbitUser => Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "keyplatform";
    public static string RabbitPassword => Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "keyplatform";

    /// <summary>The broker user of a sender and its password, as <c>scripts/infra.sh env</c> exports it
    /// (<c>kp-key-service</c> -> <c>KP_KEY_SERVICE_BROKER_PASSWORD</c>).</summary>
    public static (string User, string Password) BrokerUser(Sender sender)
    {
        var user = new BrokerSenders().UsersOf(sender)[0];
        var variable = user.ToUpperInvariant().Replace('-', '_') + "_BROKER_PASSWORD";
        var password = Environment.GetEnvironmentVariable(variable)
                       ?? throw new InvalidOperationException($"{variable} is not set: run the tests with the variables of `scripts/infra.sh env`.");
        return (user, password);
    }

    /// <summary>The configuration every in-process host of ours needs to reach the infrastructure: PostgreSQL, RabbitMQ
    /// on the given virtual host as the broker user of <paramref name="sender"/>, and Marten's daemon in solo mode (one
    /// process owns it from its first second). Callers add what is particular to them.</summary>
    public static Dictionary<string, string?> HostSettings(string virtualHost, Sender sender)
    {
        var (user, password) = BrokerUser(sender);
        return new()
        {
            ["ConnectionStrings:Postgres"] = PostgresConnectionString,
            ["Marten:DaemonMode"] = "Solo",
            ["RabbitMq:Host"] = RabbitHost,
            ["RabbitMq:Port"] = RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RabbitMq:Username"] = user,
            ["RabbitMq:Password"] = password,
            ["RabbitMq:VirtualHost"] = virtualHost,
        };
    }

    /// <summary>The repository's root folder (the one with KeyPlatform.sln), found from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KeyPlatform.sln"))) return dir.FullName;
        throw new InvalidOperationException("KeyPlatform.sln not found above the test assembly.");
    }

    /// <summary>A vault master key (32 bytes) for tests only.</summary>
    public static readonly string TestVaultMasterKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    /// <summary>A short unique suffix for schemas, virtual hosts and tenant ids of one test fixture.</summary>
    public static string UniqueSuffix() => Guid.NewGuid().ToString("N")[..10];
}
