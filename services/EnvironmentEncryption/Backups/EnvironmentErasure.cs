using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.EnvironmentEncryption.Backups;

/// <summary>What deleting and resetting an environment share (E5, L7): when the decider emits events, the environment's
/// records and every backup taken of it are deleted in the same transaction, and its cached data key is dropped. The
/// environment's records are held for the whole transaction (<see cref="RecordWriteLock"/>, V3): a record write in flight
/// under the old data key commits first and is deleted with the rest, a later one waits and sees the new state.</summary>
public static class EnvironmentErasure
{
    public static async Task<CommandResult> DecideAndEraseAsync(StreamCommands streams, DataKeyCache cache, string environmentId,
        CommandContext context, Func<TenantEnvironment?, DateTimeOffset, Decision> decide, CancellationToken cancellationToken)
    {
        var result = await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environmentId), context, decide,
            cancellationToken,
            (session, decision, _) =>
            {
                if (decision.Events.Count == 0) return;
                session.DeleteWhere<EnvironmentRecord>(r => r.EnvironmentId == environmentId);
                session.DeleteWhere<EnvironmentBackup>(b => b.SourceEnvironmentId == environmentId);
            },
            beforeDecision: (session, token) => RecordWriteLock.HoldForMoveAsync(session, [environmentId], token));
        cache.Evict(environmentId);
        return result;
    }
}
