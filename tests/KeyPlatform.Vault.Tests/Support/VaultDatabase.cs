using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyPlatform.Vault.Local;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Support;

/// <summary>
/// The real PostgreSQL of scripts/infra.sh. Each test class gets its own schema (vault_test_xxxxxxxx), dropped
/// with every other schema it created when the class is done.
/// </summary>
public sealed class VaultDatabase : IAsyncLifetime
{
    public const string DefaultConnectionString =
        "Host=127.0.0.1;Port=54329;Database=keyplatform;Username=keyplatform;Password=keyplatform";

    private readonly ConcurrentBag<string> _schemas = [];
    private readonly ConcurrentBag<LocalKeyVault> _vaults = [];

    public VaultDatabase()
    {
        Schema = NewSchemaName();
        MasterKeyBytes = RandomNumberGenerator.GetBytes(MasterKey.SizeInBytes);
        Vault = NewVault(Schema);
    }

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } configured
            ? configured
            : DefaultConnectionString;

    public string Schema { get; }

    /// <summary>The regions the test vaults are configured with (X3: the vault creates region keys for these only).</summary>
    public static readonly IReadOnlyCollection<string> Regions =
        ["westeurope", "northeurope", "uksouth", "canadacentral", "brazilsouth", "inspected-region"];

    /// <summary>The master key of <see cref="Vault"/>; tests look for it in the database and must not find it.</summary>
    public byte[] MasterKeyBytes { get; }

    public LocalKeyVault Vault { get; }

    public string NewSchemaName()
    {
        var schema = $"vault_test_{Guid.NewGuid().ToString("N")[..8]}";
        _schemas.Add(schema);
        return schema;
    }

    /// <summary>Another vault instance, as another process would have: same schema and master key unless told.</summary>
    public LocalKeyVault NewVault(string? schema = null, byte[]? masterKey = null, TimeProvider? time = null)
    {
        var vault = new LocalKeyVault(
            new LocalVaultOptions { ConnectionString = ConnectionString, Schema = schema ?? Schema, Regions = Regions },
            MasterKey.FromBytes(masterKey ?? MasterKeyBytes),
            time);
        _vaults.Add(vault);
        return vault;
    }

    /// <summary>A vault on <paramref name="schema"/> (this class's unless told) under a master key loaded elsewhere (an
    /// enveloped one); the vault owns the key from then on.</summary>
    public LocalKeyVault NewVault(MasterKey masterKey, string? schema = null)
    {
        var vault = new LocalKeyVault(
            new LocalVaultOptions { ConnectionString = ConnectionString, Schema = schema ?? Schema, Regions = Regions }, masterKey);
        _vaults.Add(vault);
        return vault;
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task InitializeAsync()
    {
        try
        {
            await using var connection = await OpenAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable ({exception.Message}). Start it with scripts/infra.sh up, or set " +
                "ConnectionStrings__Postgres.", exception);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var vault in _vaults)
        {
            await vault.DisposeAsync();
        }

        await using var connection = await OpenAsync();
        foreach (var schema in _schemas)
        {
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
