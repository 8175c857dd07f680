using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using Marten;

namespace KeyPlatform.TenantLock.TenantLocks.Deadlines;

public enum LockDeadlineKind
{
    /// <summary>L5: the lock's time limit.</summary>
    TimeLimit,
    /// <summary>L7: a warning before the deletion.</summary>
    DeletionWarning,
    /// <summary>L7: delete the environments still locked.</summary>
    Deletion,
}

public sealed record LockDeadline(string LockCycleId, LockDeadlineKind Kind, int DaysLeft = 0);

public static class LockDeadlines
{
    /// <summary>Stored in the transaction that starts the cycle, so they cannot be lost.</summary>
    public static void Schedule(IDocumentSession session, LockRequested requested, TenantLockRules rules, DateTimeOffset now)
    {
        var cycle = requested.LockCycleId;
        session.ScheduleDeadline($"{cycle}:time-limit", requested.RequestedAt + rules.LockProcessLimit,
            new LockDeadline(cycle, LockDeadlineKind.TimeLimit), now);
        foreach (var days in rules.DeletionWarningDays)
            session.ScheduleDeadline($"{cycle}:warning-{days}d", requested.DeletionDueAt - TimeSpan.FromDays(days),
                new LockDeadline(cycle, LockDeadlineKind.DeletionWarning, days), now);
        session.ScheduleDeadline($"{cycle}:deletion", requested.DeletionDueAt, new LockDeadline(cycle, LockDeadlineKind.Deletion), now);
    }
}

/// <summary>A due deadline becomes a saga decision in the dispatcher's transaction. A deadline of a cycle that moved
/// on (completed, closed) decides nothing: that is how the saga cancels them in effect.</summary>
public sealed class LockDeadlineHandler(TimeProvider time) : IDeadlineHandler<LockDeadline>
{
    public async Task HandleAsync(LockDeadline payload, Deadline deadline, IDocumentSession session, CancellationToken cancellationToken)
    {
        // The environments the decision reads are read after the cycle's row is taken (see LockCycles).
        if (!await LockCycles.TakeAsync(session, payload.LockCycleId, cancellationToken)) return;
        var stream = await session.Events.FetchForWriting<TenantLockCycle>(payload.LockCycleId, cancellationToken);
        if (stream.Aggregate is not { } cycle) return;
        var now = time.GetUtcNow();
        var decision = payload.Kind switch
        {
            LockDeadlineKind.TimeLimit => TenantLockDecider.Decide(cycle, new LockTimeLimitReached(),
                await session.NotYetLockedAsync(cycle.Id, cancellationToken), now),
            LockDeadlineKind.DeletionWarning => TenantLockDecider.Decide(cycle, new DeletionWarningDue(payload.DaysLeft),
                await session.EnvironmentsAsync(cycle.Id, LockCycleEnvironmentStatus.Locked, cancellationToken), now),
            _ => TenantLockDecider.Decide(cycle, new DeletionDue(),
                await session.EnvironmentsAsync(cycle.Id, LockCycleEnvironmentStatus.Locked, cancellationToken), now),
        };
        stream.AppendMany(decision.Events);
    }
}
