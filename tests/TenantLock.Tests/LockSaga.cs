using KeyPlatform.TenantLock.TenantLocks;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;

namespace TenantLock.Tests;

/// <summary>A lock cycle as the service keeps it, folded from its events with the service's own folds (no reflection):
/// the decision state (<see cref="TenantLockCycle.Fold"/>), one status per environment (what the
/// <see cref="LockCycleEnvironment"/> documents hold) and the lock progress read model.</summary>
public sealed record LockSaga(TenantLockCycle Cycle, IReadOnlyDictionary<string, LockCycleEnvironmentStatus> Statuses, LockProgress Progress)
{
    public static LockSaga Given(params object[] events)
    {
        var first = (LockRequested)events[0];
        var saga = new LockSaga(TenantLockCycle.Fold(null, first)!, new Dictionary<string, LockCycleEnvironmentStatus>(),
            LockProgress.Fold(null, first)!);
        return events.Skip(1).Aggregate(saga, (state, e) => state.Apply(e));
    }

    public LockSaga Apply(object @event)
    {
        var statuses = new Dictionary<string, LockCycleEnvironmentStatus>(Statuses);
        foreach (var environment in LockCycleEnvironment.EnvironmentsOf(@event))
            statuses[environment] = LockCycleEnvironment.Fold(null, Cycle.Id, environment, @event)!.Status;
        return new LockSaga(TenantLockCycle.Fold(Cycle, @event)!, statuses, LockProgress.Fold(Progress, @event)!);
    }

    public static implicit operator TenantLockCycle(LockSaga saga) => saga.Cycle;

    public LockCycleEnvironmentStatus? StatusOf(string environmentId) =>
        Statuses.TryGetValue(environmentId, out var status) ? status : null;

    public IReadOnlyList<string> Having(LockCycleEnvironmentStatus status) =>
        Statuses.Where(s => s.Value == status).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> NotYetLocked => Having(LockCycleEnvironmentStatus.Asked);
    public IReadOnlyList<string> StillLocked => Having(LockCycleEnvironmentStatus.Locked);
    public LockPhase Phase => Cycle.Phase;
    public bool IsOpen => Cycle.IsOpen;
    public string? KeyUnlockFailure => Progress.KeyUnlockFailure;
    public DateTimeOffset? KeyUnlockFailedAt => Progress.KeyUnlockFailedAt;
}
