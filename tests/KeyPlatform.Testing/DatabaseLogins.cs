using KeyPlatform.Contracts.Messaging;
using Npgsql;

namespace KeyPlatform.Testing;

/// <summary>The PostgreSQL roles of <c>deploy/postgres/roles.tsv</c> (the one list the provisioning reads too): each
/// service's own login, the schema each role owns, and each service's connection string as <c>scripts/infra.sh env</c>
/// exports it (<c>KP_PG_CONN_KEY_SERVICE</c>, ...). See docs/decisions/0021-database-login-per-service.md.</summary>
public static class DatabaseLogins
{
    public sealed record Role(string Name, bool Login, string Schema, IReadOnlyList<string> MemberOf);

    public static IReadOnlyList<Role> Roles { get; } = DeployFile("roles.tsv")
        .Select(line => line.Split('\t'))
        .Select(row => new Role(row[0], row[1] == "login", row[2], row[3] == "-" ? [] : row[3].Split(',')))
        .ToList();

    /// <summary>The owner of the vault schema (the role that owns <c>vault</c>).</summary>
    public static Role Vault => Roles.Single(role => role.Schema == "vault");

    /// <summary>A service's login: <c>kp_</c> and its name in snake case (KeyService -> kp_key_service).</summary>
    public static Role Of(Sender service)
    {
        var name = "kp" + string.Concat(service.ToString().Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
        return Roles.SingleOrDefault(role => role.Name == name && role.Login)
               ?? throw new InvalidOperationException($"deploy/postgres/roles.tsv has no login {name} for {service}.");
    }

    /// <summary>The connection string of a service's own login, as <c>scripts/infra.sh env</c> exports it.</summary>
    public static string ConnectionString(Sender service)
    {
        var variable = "KP_PG_CONN_" + Of(service).Name["kp_".Length..].ToUpperInvariant();
        return Environment.GetEnvironmentVariable(variable)
               ?? throw new InvalidOperationException($"{variable} is not set: run the tests with the variables of `scripts/infra.sh env`.");
    }

    /// <summary>Creates, as the admin login, each role's schema of one run (<c>&lt;schema&gt;_&lt;suffix&gt;</c>) owned by
    /// that role, as the provisioning makes <c>keys</c>, <c>vault</c>, ...; <see cref="TestBroker"/> drops them.</summary>
    public static Task CreateSchemasAsync(Func<string, string> schemaOfRun) => CreateSchemasAsync(Roles, schemaOfRun);

    /// <summary>The vault schema of one run only: what in-process hosts, on the admin login, need made for them (no role may
    /// create a schema; the local store acts as <see cref="Vault"/>).</summary>
    public static Task CreateVaultSchemaAsync(Func<string, string> schemaOfRun) => CreateSchemasAsync([Vault], schemaOfRun);

    private static async Task CreateSchemasAsync(IEnumerable<Role> roles, Func<string, string> schemaOfRun)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        foreach (var role in roles)
        {
            await using var create = new NpgsqlCommand($"create schema if not exists \"{schemaOfRun(role.Schema)}\" authorization \"{role.Name}\"", connection);
            try
            {
                await create.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.InsufficientPrivilege)
            {
                throw new InvalidOperationException(
                    $"The database logins are not provisioned ({e.MessageText}): run `scripts/infra.sh up` (deploy/postgres/provision.sh).", e);
            }
        }
    }

    /// <summary>The rows of a file of <c>deploy/postgres/</c>, without comments and blank lines.</summary>
    private static IEnumerable<string> DeployFile(string name) =>
        File.ReadAllLines(Path.Combine(TestInfrastructure.RepositoryRoot(), "deploy", "postgres", name))
            .Where(line => line.Trim().Length > 0 && !line.StartsWith('#'));
}
