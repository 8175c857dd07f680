using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using KeyPlatform.Vault;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KeyPlatform.EndToEndTests;

/// <summary>
/// V2, D4 against backups: a <c>pg_dump</c> of the system taken before a lock, restored into a new database after it, is
/// what an attacker holding an old backup has. On the HSM (V1) not one of the tenant's data keys unwraps from it: the
/// key objects are destroyed on the token, and the database never held them. On the local store the opposite holds,
/// and the test says so plainly: the tenant key comes back from the backup with the master key (the README says which
/// stores keep V2).
/// </summary>
public sealed class LockAgainstBackupsTests
{
    public static TheoryData<string> Stores => new() { "local", "softhsm" };

    [Theory]
    [MemberData(nameof(Stores))]
    [Trait("Rule", "V2")]
    [Trait("Rule", "D4")]
    public async Task A_database_backup_from_before_the_lock_unwraps_no_data_key_on_the_HSM_and_every_one_on_the_local_store_V2_D4(
        string store)
    {
        var hsm = store == "softhsm" ? SoftHsm.FromEnvironment() : null;
        await using var system = await RunningSystem.StartAsync(hsm?.ServiceSettings());
        var story = new TenantStory(system);
        var (pfx, _) = TenantStory.NewKey();
        await story.EnableAsync();
        await story.UploadActiveKeyAsync(pfx);
        await story.AddEnvironmentsUnderTenantKeyAsync(2);
        foreach (var environment in story.Environments)
            await story.WriteRecordAsync(environment, "ledger", Encoding.UTF8.GetBytes($"ledger of {environment}"));
        system.Advance(TimeSpan.FromHours(72));

        var backup = await DumpAsync(system);
        (await story.LockAsync(pfx)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await story.LockProgressWhenAsync("Locked")).GetProperty("keysLocked").GetBoolean().ShouldBeTrue();
        var restored = await RestoreAsync(backup);
        try
        {
            var wrapped = await DataKeysAsync(restored, system.Schema("environments"), story.Tenant);
            wrapped.Count.ShouldBe(story.Environments.Count);
            // The vault a service would open on the restored database: the same settings, another database.
            await using var vault = SystemVault.Open(ConnectionTo(restored), system.Schema("vault"), hsm);
            var keys = vault.GetRequiredService<IKeyVault>();

            var unwrapped = 0;
            foreach (var key in wrapped)
            {
                try
                {
                    using var plaintext = await keys.UnwrapAsync(key.Reference(story.Tenant), key.Ciphertext, key.Algorithm);
                    plaintext.PlaintextKey.Length.ShouldBe(32);
                    unwrapped++;
                }
                catch (VaultKeyNotFoundException)
                {
                }
            }

            if (hsm is not null) unwrapped.ShouldBe(0, "a backup from before the lock must not bring a data key back on the HSM");
            else unwrapped.ShouldBe(wrapped.Count, "the local store keeps the tenant key in the database: a backup brings it back");
        }
        finally
        {
            await DropAsync(restored);
        }
    }

    /// <summary>A data key as the restored environment documents hold it.</summary>
    private sealed record StoredDataKey(string Region, string VaultKeyId, string Thumbprint, byte[] Ciphertext, string Algorithm)
    {
        public VaultKeyReference Reference(string tenant) => new(VaultKeyId, VaultKeyOwner.Tenant(tenant, Region), Thumbprint);
    }

    private static async Task<List<StoredDataKey>> DataKeysAsync(string database, string schema, string tenant)
    {
        await using var connection = new NpgsqlConnection(ConnectionTo(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT data::text FROM {schema}.mt_doc_tenantenvironment WHERE data->>'TenantId' = @tenant", connection);
        command.Parameters.AddWithValue("tenant", tenant);
        var keys = new List<StoredDataKey>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            using var document = JsonDocument.Parse(reader.GetString(0));
            var environment = document.RootElement;
            var key = environment.GetProperty("DataKey");
            key.GetProperty("Protection").ToString().ShouldBeOneOf("1", "TenantKey");
            keys.Add(new StoredDataKey(environment.GetProperty("Region").GetString()!, key.GetProperty("VaultKeyId").GetString()!,
                key.GetProperty("Thumbprint").GetString()!, key.GetProperty("Ciphertext").GetBytesFromBase64(),
                WrappingAlgorithm.OrDefault(key.TryGetProperty("Algorithm", out var algorithm) ? algorithm.GetString() : null)));
        }

        return keys;
    }

    private static async Task<string> DumpAsync(RunningSystem system)
    {
        var file = Path.Combine(Path.GetTempPath(), $"kp-backup-{Guid.NewGuid():N}.dump");
        var schemas = new[] { "keys", "environments", "tenant_lock", "vault" }.SelectMany(s => new[] { "-n", system.Schema(s) });
        await RunAsync("pg_dump", [.. DatabaseArguments(), "-Fc", "-f", file, .. schemas]);
        return file;
    }

    private static async Task<string> RestoreAsync(string dump)
    {
        var database = $"kp_restored_{Guid.NewGuid():N}"[..24];
        await using (var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }

        await RunAsync("pg_restore", [.. DatabaseArguments(database), "--no-owner", dump]);
        File.Delete(dump);
        return database;
    }

    private static async Task DropAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static string ConnectionTo(string database) =>
        new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString) { Database = database }.ConnectionString;

    private static string[] DatabaseArguments(string? database = null)
    {
        var connection = new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString);
        return ["-h", connection.Host!, "-p", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", connection.Username!, "-d", database ?? connection.Database!];
    }

    private static async Task RunAsync(string tool, string[] arguments)
    {
        var start = new ProcessStartInfo(ToolPath(tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PGPASSWORD"] = new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresConnectionString).Password;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, $"{tool}: {await error}");
    }

    /// <summary>The client tools of the server's major version (Debian keeps them under /usr/lib/postgresql/N/bin).</summary>
    private static string ToolPath(string tool) =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", tool)).Where(File.Exists)
                .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault() ?? tool
            : tool;
}
