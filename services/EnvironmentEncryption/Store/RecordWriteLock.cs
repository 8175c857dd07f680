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
/// <remarks>
/// Why this cannot deadlock (PostgreSQL 40P01), checked against every holder. A write takes one lock (shared) as its first
/// statement after the rebuild gate, before any row it changes: while it waits it holds nothing a move needs, and once it holds
/// the lock it needs nothing a move holds (it appends no event; its audit row is new; its record row is of an environment no
/// move holds). A move takes its locks before it writes any row (<c>FetchForWriting</c> reads without locking rows), so it only
/// ever waits for rows while it holds every lock it will take. Two moves take theirs in one order, provided a transaction takes
/// all of its locks in one call: calls one after another are no global order (each is sorted, their sequence is not). That was
/// the one real deadlock: the E2 completion of a batch of several (tenant, region) groups took each group's locks in turn, so
/// two deliveries of the same environments in other group orders deadlocked; it now takes the whole batch's locks at once
/// (<see cref="DataKeys.Rewrapping.DataKeyRewrapper.CompleteApplicationsAsync"/>, shown by a test in FreshDataKeyTests).
/// Copy and restore take no record lock: they replace the target's records in the transaction of its decision, which fails on a
/// concurrent move by the stream version; an erasure takes one. Taking a lock a transaction holds already does not wait.
/// </remarks>
public static class RecordWriteLock
{
    public static long LockKey(string schema, string environmentId) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"keyplatform:records:{schema}:{environmentId}")), 0);

    /// <summary>For a record write: shared, so writes to one environment do not wait for each other.</summary>
    public static Task HoldForWriteAsync(IDocumentSession session, string environmentId, CancellationToken cancellationToken) =>
        session.AdvancedSql.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock_shared(?)) as records",
            cancellationToken, LockKey(session.DocumentStore.Options.DatabaseSchemaName, environmentId));

    /// <summary>For a move of the records of <paramref name="environmentIds"/>: exclusive, taken in one order so two moves
    /// cannot deadlock. Take every environment a transaction moves in one call (see the remarks), before writing any row.</summary>
    public static async Task HoldForMoveAsync(IDocumentSession session, IEnumerable<string> environmentIds, CancellationToken cancellationToken)
    {
        foreach (var environmentId in environmentIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            await session.AdvancedSql.QueryAsync<int>("select 1 from (select pg_advisory_xact_lock(?)) as records",
                cancellationToken, LockKey(session.DocumentStore.Options.DatabaseSchemaName, environmentId));
    }
}
