using System.Security.Cryptography;
using System.Text;
using Marten;
using Npgsql;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>Commands and projection rebuilds of one service take turns. A rebuild of an inline projection deletes its
/// documents and replays the events; a command deciding meanwhile would find no state (a key upload would look like
/// the tenant's first key). So every write session holds a shared PostgreSQL advisory lock for its transaction, and a
/// rebuild holds the same lock exclusively: commands wait for the rebuild, the rebuild waits for running commands,
/// across every instance of the service.</summary>
public static class RebuildGate
{
    public static long LockKey(string schema) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"keyplatform:rebuild:{schema}")), 0);

    /// <summary>A lightweight session in a transaction that holds the gate shared until it commits or is disposed.</summary>
    public static async Task<IDocumentSession> OpenWriteSessionAsync(this IDocumentStore store, CancellationToken cancellationToken)
    {
        var session = store.LightweightSession();
        try
        {
            await session.BeginTransactionAsync(cancellationToken);
            await session.AdvancedSql.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock_shared(?)) as gate",
                cancellationToken, LockKey(store.Options.DatabaseSchemaName));
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Holds the gate exclusively until disposed: no command of the service decides meanwhile.</summary>
    public static async Task<IAsyncDisposable> CloseForRebuildAsync(this IDocumentStore store, CancellationToken cancellationToken)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("select pg_advisory_lock(@key)", connection))
        {
            take.Parameters.AddWithValue("key", LockKey(store.Options.DatabaseSchemaName));
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        return new Held(connection, LockKey(store.Options.DatabaseSchemaName));
    }

    private sealed class Held(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var release = new NpgsqlCommand("select pg_advisory_unlock(@key)", connection))
            {
                release.Parameters.AddWithValue("key", key);
                await release.ExecuteNonQueryAsync();
            }
            await connection.DisposeAsync();
        }
    }
}
