using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using Marten;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>Runs a saga decision on an existing cycle's stream (a message about an unknown cycle changes nothing), with
/// the <see cref="LockCycleEnvironment"/> documents it reads as input. The cycle's stream is hot (every environment
/// reports to it), so each decision first takes the stream's row (<c>FetchForExclusiveWriting</c>): decisions on one
/// cycle run one after the other, and the documents read are those of the version decided on (they are written inline
/// with the events, in the same transaction).</summary>
public sealed class LockCycles(StreamCommands streams)
{
    /// <summary>A decision on the cycle alone.</summary>
    public Task<CommandResult> DecideAsync(string lockCycleId, CommandContext context,
        Func<TenantLockCycle, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        DecideAsync<bool>(lockCycleId, context, (_, _) => Task.FromResult(true), (cycle, _, now) => decide(cycle, now), cancellationToken);

    /// <summary>A decision about one environment, given its status on the cycle (null: never on it).</summary>
    public Task<CommandResult> DecideAsync(string lockCycleId, string environmentId, CommandContext context,
        Func<TenantLockCycle, LockCycleEnvironmentStatus?, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        DecideAsync(lockCycleId, context,
            async (session, ct) => (await session.LoadAsync<LockCycleEnvironment>(LockCycleEnvironment.Key(lockCycleId, environmentId), ct))?.Status,
            decide, cancellationToken);

    /// <summary>A decision about the cycle's environments with <paramref name="status"/> (in ordinal order).</summary>
    public Task<CommandResult> DecideAsync(string lockCycleId, LockCycleEnvironmentStatus status, CommandContext context,
        Func<TenantLockCycle, IReadOnlyList<string>, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        DecideAsync(lockCycleId, context, (session, ct) => session.EnvironmentsAsync(lockCycleId, status, ct), decide, cancellationToken);

    /// <summary>Takes the cycle's stream row for this transaction; false if there is no such cycle.</summary>
    public static async Task<bool> TakeAsync(IDocumentSession session, string lockCycleId, CancellationToken cancellationToken)
    {
        if (await session.Events.FetchStreamStateAsync(lockCycleId, cancellationToken) is null) return false;
        await session.Events.FetchForExclusiveWriting<TenantLockCycle>(lockCycleId, cancellationToken);
        return true;
    }

    private Task<CommandResult> DecideAsync<TInput>(string lockCycleId, CommandContext context,
        Func<IDocumentSession, CancellationToken, Task<TInput>> read, Func<TenantLockCycle, TInput, DateTimeOffset, Decision> decide,
        CancellationToken cancellationToken)
    {
        var found = false;
        TInput input = default!;
        return streams.DecideAsync<TenantLockCycle>(lockCycleId, context,
            (cycle, now) => found && cycle is not null ? decide(cycle, input, now) : Decision.Nothing, cancellationToken,
            beforeDecision: async (session, ct) =>
            {
                found = await TakeAsync(session, lockCycleId, ct);
                if (found) input = await read(session, ct);
            });
    }
}
