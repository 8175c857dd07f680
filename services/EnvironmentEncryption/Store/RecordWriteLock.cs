using System.Security.Cryptography;
using System.Text;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Store;

/// <summary>
/// V3: a record write and the move of an environment's records to a fresh data key take turns. A write holds the
/// environment's lock shared for its transaction and only then reads which data key to encrypt under; the move holds it
/// exclusively from before it reads the records until it commits. So a write never commits under the data key the move
/// is replacing (its record would no longer open), and the move never misses a record written meanwhile. A PostgreSQL
/// advisory lock per environment, so it holds across every instance of the service. The session must be in a
/// transaction (<see cref="KeyPlatform.ServiceDefaults.Persistence.RebuildGate.OpenWriteSessionAsync"/>).
/// </summary>
public static class RecordWriteLock
{
    public static long LockKey(string schema, string environmentId) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"keyplatform:records:{schema}:{environmentId}")), 0);

    /// <summary>For a record write: shared, so writes to one environment do not wait for each other.</summary>
    public static Task HoldForWriteAsync(IDocumentSession session, string environmentId, CancellationToken cancellationToken) =>
        session.AdvancedSql.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock_shared(?)) as records",
            cancellationToken, LockKey(session.DocumentStore.Options.DatabaseSchemaName, environmentId));

    /// <summary>For a move of the records of <paramref name="environmentIds"/>: exclusive, taken in one order so two moves
    /// cannot deadlock.</summary>
    public static async Task HoldForMoveAsync(IDocumentSession session, IEnumerable<string> environmentIds, CancellationToken cancellationToken)
    {
        foreach (var environmentId in environmentIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            await session.AdvancedSql.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock(?)) as records",
                cancellationToken, LockKey(session.DocumentStore.Options.DatabaseSchemaName, environmentId));
    }
}
