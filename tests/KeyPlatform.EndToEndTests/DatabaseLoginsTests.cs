using KeyPlatform.Contracts.Messaging;
using Npgsql;

namespace KeyPlatform.EndToEndTests;

/// <summary>The three services as processes, each on its own database login (deploy/postgres/roles.tsv): what each
/// login owns and what PostgreSQL refuses it. Decision 0021.</summary>
public sealed class DatabaseLoginsTests(DatabaseLoginsTests.System running) : IClassFixture<DatabaseLoginsTests.System>
{
    private static readonly Sender[] Services = [Sender.KeyService, Sender.EnvironmentEncryption, Sender.TenantLock];

    public sealed class System : IAsyncLifetime
    {
        public RunningSystem Running { get; private set; } = null!;
        public async Task InitializeAsync() => Running = await RunningSystem.StartAsync();
        public async Task DisposeAsync() => await Running.DisposeAsync();
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task Given_the_running_system_Then_each_schema_and_everything_the_services_made_in_it_belong_to_its_role()
    {
        var owners = await AsAdminAsync($"""
            select n.nspname, pg_get_userbyid(n.nspowner), count(c.oid), count(c.oid) filter (where c.relowner <> n.nspowner)
              from pg_namespace n left join pg_class c on c.relnamespace = n.oid
             where n.nspname like '%\_{Suffix}' group by n.nspname, n.nspowner
            """, reader => (Schema: reader.GetString(0), Owner: reader.GetString(1), Objects: reader.GetInt64(2), OwnedByOthers: reader.GetInt64(3)));

        owners.Select(o => (o.Schema, o.Owner)).OrderBy(o => o.Schema).ShouldBe(
            DatabaseLogins.Roles.Select(role => (running.Running.Schema(role.Schema), role.Name)).OrderBy(o => o.Item1));
        // Marten made its event store and documents, and the vault store its table, as the schema's role.
        owners.ShouldAllBe(o => o.Objects > 0 && o.OwnedByOthers == 0);
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task A_service_login_reads_its_own_event_store_and_is_refused_every_other_services_schema()
    {
        foreach (var service in Services)
        {
            (await CountEventsAsync(service, OwnSchema(service))).ShouldBeGreaterThanOrEqualTo(0);
            foreach (var other in Services.Where(other => other != service))
            {
                var refusal = await Should.ThrowAsync<PostgresException>(() => CountEventsAsync(service, OwnSchema(other)));
                refusal.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, $"{service} reading {other}'s schema");
            }
        }
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task The_KeyService_login_reads_the_vault_table()
    {
        // Refused, it would throw (42501); the count itself may be anything.
        (await CountAsync(Sender.KeyService, $"select count(*) from \"{VaultSchema}\".keys")).ShouldBeGreaterThanOrEqualTo(0);
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task Given_the_vault_gateway_Then_only_the_KeyService_login_reaches_the_vault_schema()
    {
        foreach (var service in new[] { Sender.EnvironmentEncryption, Sender.TenantLock })
        {
            var refusal = await Should.ThrowAsync<PostgresException>(() => CountAsync(service, $"select count(*) from \"{VaultSchema}\".keys"));
            refusal.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, $"{service} reading the vault");
        }
    }

    [Fact]
    [Trait("Rule", "V1")]
    public async Task No_service_login_may_create_a_schema_not_even_KeyService_acting_as_the_vault_role()
    {
        foreach (var service in Services)
        {
            var refusal = await Should.ThrowAsync<PostgresException>(() =>
                CountAsync(service, $"create schema \"probe_{service.ToString().ToLowerInvariant()}_{Suffix}\"; select 0::bigint"));
            refusal.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, $"{service} creating a schema");
        }

        var asVault = await Should.ThrowAsync<PostgresException>(() => CountAsync(Sender.KeyService,
            $"set role {DatabaseLogins.Vault.Name}; create schema \"probe_vault_{Suffix}\"; select 0::bigint"));
        asVault.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, "KeyService as the vault's role creating a schema");
    }

    private string Suffix => running.Running.Schema("x")["x_".Length..];
    private string VaultSchema => running.Running.Schema(DatabaseLogins.Vault.Schema);
    private string OwnSchema(Sender service) => running.Running.Schema(DatabaseLogins.Of(service).Schema);

    private static Task<long> CountEventsAsync(Sender service, string schema) =>
        CountAsync(service, $"select count(*) from \"{schema}\".mt_events");

    private static async Task<long> CountAsync(Sender service, string sql)
    {
        await using var connection = new NpgsqlConnection(DatabaseLogins.ConnectionString(service));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<T>> AsAdminAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }
}
