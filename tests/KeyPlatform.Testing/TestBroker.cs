using Npgsql;
using Xunit;

namespace KeyPlatform.Testing;

/// <summary>A RabbitMQ virtual host of its own for one test class, deleted afterwards, a unique suffix for the schemas of
/// the hosts that use it, and its vault schema made as the provisioning makes <c>vault</c>.</summary>
public sealed class TestBroker : IAsyncLifetime
{
    public string Suffix { get; } = TestInfrastructure.UniqueSuffix();
    public string VirtualHost => $"test-{Suffix}";
    public RabbitManagement Management { get; } = new();

    public string Schema(string service) => $"{service}_{Suffix}";

    public async Task InitializeAsync()
    {
        await Management.CreateVirtualHostAsync(VirtualHost);
        await Management.GrantBrokerUsersAsync(VirtualHost);
        await DatabaseLogins.CreateVaultSchemaAsync(Schema);
    }

    public async Task DisposeAsync()
    {
        await Management.DeleteVirtualHostAsync(VirtualHost);
        Management.Dispose();
        await DropSchemasAsync();
    }

    /// <summary>Drops every schema this fixture's hosts created (they all end with the suffix).</summary>
    private async Task DropSchemasAsync()
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var find = new NpgsqlCommand("select nspname from pg_namespace where nspname like '%' || @suffix", connection);
        find.Parameters.AddWithValue("suffix", "_" + Suffix);
        var schemas = new List<string>();
        await using (var reader = await find.ExecuteReaderAsync())
            while (await reader.ReadAsync()) schemas.Add(reader.GetString(0));
        foreach (var schema in schemas)
        {
            await using var drop = new NpgsqlCommand($"drop schema if exists \"{schema}\" cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
