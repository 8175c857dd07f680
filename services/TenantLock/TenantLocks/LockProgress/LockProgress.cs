using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;

namespace KeyPlatform.TenantLock.TenantLocks.LockProgress;

/// <summary>S4: a lock cycle as the status endpoint and the dashboard show it, a read model of its own: the cycle's decision
/// state as <see cref="TenantLockCycle.Fold"/> folds it, and what only people read (who asked, when it completed, timed out
/// or closed, why it was refused, why the last unlock of the key failed). Rebuilding it touches no decision.</summary>
public sealed record LockProgress(string Id, TenantLockCycle Cycle, string RequestedBy, DateTimeOffset? CompletedAt = null,
    DateTimeOffset? TimedOutAt = null, string? RefusalRule = null, string? RefusalReason = null, DateTimeOffset? ClosedAt = null,
    int WarningsIssued = 0, string? KeyUnlockFailure = null, DateTimeOffset? KeyUnlockFailedAt = null)
{
    public string TenantId => Cycle.TenantId;
    public DateTimeOffset RequestedAt => Cycle.RequestedAt;

    public static LockProgress? Fold(LockProgress? progress, object @event)
    {
        if (progress is null)
            return @event is LockRequested requested && TenantLockCycle.Fold(null, requested) is { } started
                ? new LockProgress(started.Id, started, requested.RequestedBy)
                : null;
        var shown = progress with { Cycle = TenantLockCycle.Fold(progress.Cycle, @event)! };
        return @event switch
        {
            LockRefused refused => shown with { RefusalRule = refused.Rule, RefusalReason = refused.Reason },
            LockCompleted completed => shown with { CompletedAt = completed.CompletedAt },
            LockTimedOut timedOut => shown with { TimedOutAt = timedOut.TimedOutAt },
            KeyUnlockRequested => shown with { KeyUnlockFailure = null, KeyUnlockFailedAt = null },
            KeyUnlockFailed failed => shown with { KeyUnlockFailure = failed.Reason, KeyUnlockFailedAt = failed.FailedAt },
            DeletionWarningIssued => shown with { WarningsIssued = progress.WarningsIssued + 1 },
            LockCycleClosed closed => shown with { ClosedAt = closed.ClosedAt },
            _ => shown,
        };
    }
}

/// <summary>Kept inline, so a GET right after a command sees it; rebuilt on its own (the operator endpoint).</summary>
public sealed class LockProgressProjection : SingleStreamProjection<LockProgress, string>
{
    public override LockProgress? Evolve(LockProgress? snapshot, string id, IEvent e) => LockProgress.Fold(snapshot, e.Data);
}

/// <summary>S4: lock progress a dashboard reads: environments locked of total, keys deleted, and the times that
/// matter (unlock allowed at, L6; deletion due at, L7), and why the last unlock of the key failed, if it did (U1: unlock again).</summary>
public sealed record LockProgressView(string LockCycleId, string TenantId, string Region, LockPhase Phase, DateTimeOffset RequestedAt,
    string RequestedBy, int EnvironmentsTotal, int EnvironmentsLocked, int EnvironmentsUnlocked, int EnvironmentsDeleted,
    IReadOnlyList<string> EnvironmentsNotLocked, bool KeysLocked, int KeysDeleted, DateTimeOffset? CompletedAt, DateTimeOffset? TimedOutAt,
    DateTimeOffset UnlockAllowedAt, DateTimeOffset DeletionDueAt, string? RefusalRule, string? RefusalReason, DateTimeOffset? ClosedAt,
    string? KeyUnlockFailure, DateTimeOffset? KeyUnlockFailedAt)
{
    /// <param name="notLocked">The cycle's environments not locked yet (<see cref="LockProgressQueries.NotYetLockedAsync"/>).</param>
    public static LockProgressView From(LockProgress progress, IReadOnlyList<string> notLocked, TenantLockRules rules)
    {
        var cycle = progress.Cycle;
        var counts = cycle.Environments;
        return new LockProgressView(cycle.LockCycleId, cycle.TenantId, cycle.Region, cycle.Phase, cycle.RequestedAt, progress.RequestedBy,
            counts.Listed, counts.Locked, counts.Unlocked, counts.Deleted, notLocked, cycle.KeysLocked, cycle.KeysDeleted,
            progress.CompletedAt, progress.TimedOutAt, cycle.RequestedAt + rules.MinimumLockedBeforeUnlock, cycle.DeletionDueAt,
            progress.RefusalRule, progress.RefusalReason, progress.ClosedAt, progress.KeyUnlockFailure, progress.KeyUnlockFailedAt);
    }
}

public static class LockProgressQueries
{
    public static async Task<IReadOnlyList<LockProgress>> CyclesOfAsync(this IQuerySession session, string tenantId, CancellationToken ct) =>
        (await session.Query<LockProgress>().Where(p => p.Cycle.TenantId == tenantId).ToListAsync(ct))
        .OrderByDescending(p => p.Cycle.RequestedAt).ToList();

    /// <summary>The environments of the cycle with the status, in ordinal order (a decision's input, and the progress's list).</summary>
    public static async Task<IReadOnlyList<string>> EnvironmentsAsync(this IQuerySession session, string lockCycleId,
        LockCycleEnvironmentStatus status, CancellationToken ct)
    {
        var ids = await session.Query<LockCycleEnvironment>().Where(e => e.LockCycleId == lockCycleId && e.Status == status)
            .Select(e => e.EnvironmentId).ToListAsync(ct);
        return ids.Order(StringComparer.Ordinal).ToList();
    }

    public static Task<IReadOnlyList<string>> NotYetLockedAsync(this IQuerySession session, string lockCycleId, CancellationToken ct) =>
        session.EnvironmentsAsync(lockCycleId, LockCycleEnvironmentStatus.Asked, ct);

    public static async Task<LockProgressView> ViewAsync(this IQuerySession session, LockProgress progress, TenantLockRules rules,
        CancellationToken ct) =>
        LockProgressView.From(progress, await session.NotYetLockedAsync(progress.Id, ct), rules);
}
