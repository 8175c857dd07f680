using Marten;

namespace KeyPlatform.TenantLock.TenantLocks.LockProgress;

/// <summary>S4: lock progress a dashboard reads: environments locked of total, keys deleted, and the times that
/// matter (unlock allowed at, L6; deletion due at, L7), and why the last unlock of the key failed, if it did (U1: unlock again).</summary>
public sealed record LockProgressView(string LockCycleId, string TenantId, string Region, LockPhase Phase, DateTimeOffset RequestedAt,
    string RequestedBy, int EnvironmentsTotal, int EnvironmentsLocked, int EnvironmentsUnlocked, int EnvironmentsDeleted,
    IReadOnlyList<string> EnvironmentsNotLocked, bool KeysLocked, int KeysDeleted, DateTimeOffset? CompletedAt, DateTimeOffset? TimedOutAt,
    DateTimeOffset UnlockAllowedAt, DateTimeOffset DeletionDueAt, string? RefusalRule, string? RefusalReason, DateTimeOffset? ClosedAt,
    string? KeyUnlockFailure, DateTimeOffset? KeyUnlockFailedAt)
{
    public static LockProgressView From(TenantLockCycle cycle, TenantLockRules rules) => new(cycle.LockCycleId, cycle.TenantId,
        cycle.Region, cycle.Phase, cycle.RequestedAt, cycle.RequestedBy, cycle.Environments.Count, cycle.LockedEnvironments.Count,
        cycle.UnlockedEnvironments.Count, cycle.DeletedEnvironments.Count, cycle.NotYetLocked, cycle.KeysLocked, cycle.KeysDeleted,
        cycle.CompletedAt, cycle.TimedOutAt, cycle.RequestedAt + rules.MinimumLockedBeforeUnlock, cycle.DeletionDueAt,
        cycle.RefusalRule, cycle.RefusalReason, cycle.ClosedAt, cycle.KeyUnlockFailure, cycle.KeyUnlockFailedAt);
}

public static class LockProgressQueries
{
    public static async Task<IReadOnlyList<TenantLockCycle>> CyclesOfAsync(this IQuerySession session, string tenantId, CancellationToken ct) =>
        (await session.Query<TenantLockCycle>().Where(c => c.TenantId == tenantId).ToListAsync(ct))
        .OrderByDescending(c => c.RequestedAt).ToList();
}
