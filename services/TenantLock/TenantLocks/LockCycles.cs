using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.Facts;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using Marten;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>What the saga keeps of another service's event, written in the transaction of the decision it leads to:
/// true when the open cycle must decide on it, false when it changes nothing (older than the fact kept, decision 0029).</summary>
public delegate Task<bool> RecordFacts(IDocumentSession session, CancellationToken cancellationToken);

/// <summary>The saga's glue for commands and reactions, on <see cref="StreamCommands"/> (one transaction with the message's
/// metadata and inbox record). A decision runs on an existing cycle's stream (a message about an unknown cycle changes
/// nothing), with the <see cref="LockCycleEnvironment"/> documents it reads as input. The cycle's stream is hot (every
/// environment reports to it), so each decision first takes the stream's row (<c>FetchForExclusiveWriting</c>): decisions
/// on one cycle run one after the other, and the documents read are those of the version decided on (they are written
/// inline with the events, in the same transaction). A reaction to another service's event first records what the
/// event tells (<see cref="RecordFacts"/>, behind the facts' ordering guard) in that same transaction.</summary>
public sealed class LockCycles(StreamCommands streams, IDocumentStore store)
{
    /// <summary>A decision on the cycle alone.</summary>
    public Task<CommandResult> DecideAsync(string lockCycleId, CommandContext context,
        Func<TenantLockCycle, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        DecideAsync<bool>(lockCycleId, context, null, (_, _) => Task.FromResult(true), (cycle, _, now) => decide(cycle, now),
            cancellationToken);

    /// <summary>A decision about one environment, given its status on the cycle (null: never on it).</summary>
    public Task<CommandResult> DecideAsync(string lockCycleId, string environmentId, CommandContext context,
        Func<TenantLockCycle, LockCycleEnvironmentStatus?, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        DecideAsync(lockCycleId, context, null, StatusOf(lockCycleId, environmentId), decide, cancellationToken);

    /// <summary>A decision about the cycle's environments with <paramref name="status"/> (in ordinal order).</summary>
    public Task<CommandResult> DecideAsync(string lockCycleId, LockCycleEnvironmentStatus status, CommandContext context,
        Func<TenantLockCycle, IReadOnlyList<string>, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        DecideAsync(lockCycleId, context, null, (session, ct) => session.EnvironmentsAsync(lockCycleId, status, ct), decide, cancellationToken);

    /// <summary>A reaction that only records facts (no cycle decides on it).</summary>
    public Task<CommandResult> RecordAsync(CommandContext context, RecordFacts record, CancellationToken cancellationToken) =>
        streams.DecideAsync<TenantLockCycle>(null, context, (_, _) => Decision.Nothing, cancellationToken,
            beforeDecision: async (session, ct) => await record(session, ct));

    /// <summary>A reaction about the tenant's region: <paramref name="record"/>, then the decision on the region's open cycle
    /// (if there is one and the record says so).</summary>
    public async Task<CommandResult> ReactAsync(string tenantId, string region, CommandContext context, RecordFacts? record,
        Func<TenantLockCycle, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        await DecideAsync<bool>(await OpenCycleIdAsync(tenantId, region, cancellationToken), context, record,
            (_, _) => Task.FromResult(true), (cycle, _, now) => cycle.IsOpen ? decide(cycle, now) : Decision.Nothing, cancellationToken);

    /// <summary>A reaction about one environment of the tenant's region: <paramref name="record"/>, then the decision about the
    /// environment on the region's open cycle (if there is one and the record says so).</summary>
    public async Task<CommandResult> ReactAsync(string tenantId, string region, string environmentId, CommandContext context,
        RecordFacts? record, Func<TenantLockCycle, LockCycleEnvironmentStatus?, DateTimeOffset, Decision> decide,
        CancellationToken cancellationToken)
    {
        var cycleId = await OpenCycleIdAsync(tenantId, region, cancellationToken);
        return await DecideAsync(cycleId, context, record, cycleId is null ? NoStatus : StatusOf(cycleId, environmentId),
            (cycle, status, now) => cycle.IsOpen ? decide(cycle, status, now) : Decision.Nothing, cancellationToken);
    }

    /// <summary>Takes the cycle's stream row for this transaction; false if there is no such cycle.</summary>
    public static async Task<bool> TakeAsync(IDocumentSession session, string lockCycleId, CancellationToken cancellationToken)
    {
        if (await session.Events.FetchStreamStateAsync(lockCycleId, cancellationToken) is null) return false;
        await session.Events.FetchForExclusiveWriting<TenantLockCycle>(lockCycleId, cancellationToken);
        return true;
    }

    private static readonly Func<IDocumentSession, CancellationToken, Task<LockCycleEnvironmentStatus?>> NoStatus =
        (_, _) => Task.FromResult<LockCycleEnvironmentStatus?>(null);

    private static Func<IDocumentSession, CancellationToken, Task<LockCycleEnvironmentStatus?>> StatusOf(string lockCycleId, string environmentId) =>
        async (session, ct) => (await session.LoadAsync<LockCycleEnvironment>(LockCycleEnvironment.Key(lockCycleId, environmentId), ct))?.Status;

    private async Task<string?> OpenCycleIdAsync(string tenantId, string region, CancellationToken cancellationToken)
    {
        await using var query = store.QuerySession();
        return await query.CurrentCycleAsync(tenantId, region, cancellationToken) is { IsOpen: true } cycle ? cycle.Id : null;
    }

    /// <param name="lockCycleId">Null: no cycle to decide on (only <paramref name="record"/> is written).</param>
    private Task<CommandResult> DecideAsync<TInput>(string? lockCycleId, CommandContext context, RecordFacts? record,
        Func<IDocumentSession, CancellationToken, Task<TInput>> read, Func<TenantLockCycle, TInput, DateTimeOffset, Decision> decide,
        CancellationToken cancellationToken)
    {
        var found = false;
        TInput input = default!;
        return streams.DecideAsync<TenantLockCycle>(lockCycleId, context,
            (cycle, now) => found && cycle is not null ? decide(cycle, input, now) : Decision.Nothing, cancellationToken,
            beforeDecision: async (session, ct) =>
            {
                // Each attempt runs on a fresh session: the facts are recorded again on fresh state.
                var decides = record is null || await record(session, ct);
                found = decides && lockCycleId is not null && await TakeAsync(session, lockCycleId, ct);
                if (found) input = await read(session, ct);
            });
    }
}
