using JasperFx.Events;
using Marten.Events.Aggregation;
using Marten.Events.Projections;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>The cycle's decision state, kept inline through <see cref="TenantLockCycle.Fold"/> (no conventional
/// Apply methods found by reflection).</summary>
public sealed class TenantLockCycleProjection : SingleStreamProjection<TenantLockCycle, string>
{
    public override TenantLockCycle? Evolve(TenantLockCycle? snapshot, string id, IEvent e) => TenantLockCycle.Fold(snapshot, e.Data);
}

/// <summary>One <see cref="LockCycleEnvironment"/> per (cycle, environment), inline: written in the transaction that appends
/// the cycle's events, so a decision never sees the counts and the documents disagree.</summary>
public sealed class LockCycleEnvironmentProjection : MultiStreamProjection<LockCycleEnvironment, string>
{
    public LockCycleEnvironmentProjection()
    {
        Identities<IEvent<EnvironmentLocksRequested>>(Keys);
        Identities<IEvent<EnvironmentNoted>>(Keys);
        Identities<IEvent<EnvironmentLeftLock>>(Keys);
        Identities<IEvent<EnvironmentLockConfirmed>>(Keys);
        Identities<IEvent<EnvironmentUnlockObserved>>(Keys);
        Identities<IEvent<EnvironmentDeletionObserved>>(Keys);
    }

    private static IReadOnlyList<string> Keys(IEvent e) =>
        LockCycleEnvironment.EnvironmentsOf(e.Data).Select(environment => LockCycleEnvironment.Key(e.StreamKey!, environment)).ToList();

    public override LockCycleEnvironment? Evolve(LockCycleEnvironment? snapshot, string id, IEvent e)
    {
        var split = id.LastIndexOf('/');
        return LockCycleEnvironment.Fold(snapshot, id[..split], id[(split + 1)..], e.Data);
    }
}
