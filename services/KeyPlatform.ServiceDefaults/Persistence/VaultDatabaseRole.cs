using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>
/// The PostgreSQL role the local key store's connections act as (<c>Vault:DatabaseRole</c>, default <c>kp_vault</c>,
/// empty for the login itself): the owner of the vault schema (deploy/postgres/roles.tsv), which only the logins that
/// are its members can take. Each connection takes it at start-up (<c>-c role=...</c>), so the store's table belongs
/// to that role whichever process made it, and the login's own schema is never touched by the store.
/// See docs/decisions/0021-database-login-per-service.md.
/// </summary>
public static partial class VaultDatabaseRole
{
    public const string Default = "kp_vault";

    /// <summary>The service's connection string (<c>ConnectionStrings:Postgres</c>), acting as the vault's role.</summary>
    public static string ConnectionString(IConfiguration configuration)
    {
        var role = configuration["Vault:DatabaseRole"] ?? Default;
        var connection = new NpgsqlConnectionStringBuilder(configuration.PostgresConnectionString());
        if (role.Length == 0) return connection.ConnectionString;
        if (!Identifier().IsMatch(role))
            throw new InvalidOperationException("Vault:DatabaseRole must be a lowercase PostgreSQL role name (letters, digits, underscores).");
        // Added to what the connection string already passes (a search_path, a statement_timeout, ...), not in its place.
        connection.Options = string.IsNullOrWhiteSpace(connection.Options) ? $"-c role={role}" : $"{connection.Options} -c role={role}";
        return connection.ConnectionString;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
