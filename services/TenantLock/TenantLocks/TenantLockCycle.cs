namespace KeyPlatform.TenantLock.TenantLocks;

public enum LockPhase
{
    /// <summary>Asked KeyService to lock the key ring.</summary>
    Requested,
    /// <summary>Locking environments and deleting keys (L3, L4).</summary>
    Locking,
    /// <summary>Everything is locked; waiting for the admin to unlock the key (U1).</summary>
    Locked,
    /// <summary>The key is being reinstated and installed.</summary>
    UnlockingKey,
    /// <summary>The key is Active again; environments are unlocked one by one (U2).</summary>
    KeyUnlocked,
    Closed,
    Refused,
}

/// <summary>The saga's decision state: only what <see cref="TenantLockDecider"/> reads (phase, times, key facts and the
/// counts of the cycle's environments), kept inline by Marten. It holds no list of environments, so it does not grow with
/// them: each environment's place in the cycle is its own <see cref="LockCycleEnvironment"/> document, derived from the
/// same events, and the dashboard reads <see cref="LockProgress.LockProgress"/>, a projection of its own.</summary>
public sealed record TenantLockCycle(
    string Id,
    string TenantId,
    string Region,
    string Thumbprint,
    DateTimeOffset RequestedAt,
    DateTimeOffset DeletionDueAt,
    LockPhase Phase,
    LockCycleCounts Environments,
    int KeysDeleted = 0,
    bool KeysLocked = false,
    string? LockedKeyId = null)
{
    private const string StreamPrefix = "tenant-lock:";

    /// <summary>The lock cycle id is its stream key, so every message about the cycle finds its stream.</summary>
    public string LockCycleId => Id;

    public static string StreamKey(string tenantId, string region, int cycleNumber) =>
        $"{StreamPrefix}{tenantId}:{region}:{cycleNumber}";

    /// <summary>The tenant and region a lock cycle id names (regions never contain ':').</summary>
    public static (string TenantId, string Region) ParseStreamKey(string streamKey)
    {
        var withoutNumber = streamKey[..streamKey.LastIndexOf(':')];
        var split = withoutNumber.LastIndexOf(':');
        return (withoutNumber[StreamPrefix.Length..split], withoutNumber[(split + 1)..]);
    }

    public bool IsOpen => Phase is not (LockPhase.Closed or LockPhase.Refused);

    /// <summary>The one fold of a cycle's events, used by Marten (<see cref="TenantLockCycleProjection"/>), the decider and
    /// the tests. The first event is <see cref="LockRequested"/>; an event the state does not depend on leaves it as it is.</summary>
    public static TenantLockCycle? Fold(TenantLockCycle? state, object @event)
    {
        if (state is null)
            return @event is LockRequested requested
                ? new TenantLockCycle(requested.LockCycleId, requested.TenantId, requested.Region, requested.Thumbprint,
                    requested.RequestedAt, requested.DeletionDueAt, LockPhase.Requested, LockCycleCounts.None)
                : null;
        return @event switch
        {
            KeyRingLockConfirmed => state with { Phase = LockPhase.Locking },
            LockRefused => state with { Phase = LockPhase.Refused },
            KeysDeleted deleted => state with { KeysLocked = true, KeysDeleted = deleted.Count, LockedKeyId = deleted.LockedKeyId },
            LockCompleted => state with { Phase = LockPhase.Locked },
            KeyUnlockRequested => state with { Phase = LockPhase.UnlockingKey },
            // U1: the reinstall failed; the key is still out of use, so the cycle is Locked again.
            KeyUnlockFailed => state with { Phase = LockPhase.Locked },
            KeyUnlocked => state with { Phase = LockPhase.KeyUnlocked },
            LockCycleClosed => state with { Phase = LockPhase.Closed },
            _ => state with { Environments = state.Environments.Fold(@event) },
        };
    }
}

/// <summary>How many of the cycle's environments are where: the decision's view of them, without their ids. Each change
/// follows from one event, whose fields say where the environment was before (the decider read it from the environment's
/// <see cref="LockCycleEnvironment"/> document), so these counts and those documents are two folds of the same events.</summary>
/// <param name="Listed">On the cycle's list (asked, noted, locked, unlocked or deleted; not those that left it).</param>
/// <param name="NotYetLocked">On the list and not locked yet (asked or noted).</param>
/// <param name="Locked">Confirmed locked by this cycle, ever (also those unlocked or deleted since).</param>
/// <param name="StillLocked">Locked and not yet unlocked or deleted.</param>
public sealed record LockCycleCounts(int Listed, int NotYetLocked, int Locked, int StillLocked, int Unlocked, int Deleted)
{
    public static readonly LockCycleCounts None = new(0, 0, 0, 0, 0, 0);

    public LockCycleCounts Fold(object @event) => @event switch
    {
        EnvironmentNoted => this with { Listed = Listed + 1, NotYetLocked = NotYetLocked + 1 },
        EnvironmentLocksRequested requested => Join(requested.EnvironmentIds.Count - requested.AlreadyListed),
        EnvironmentLeftLock => this with { Listed = Listed - 1, NotYetLocked = NotYetLocked - 1 },
        EnvironmentLockConfirmed { WasListed: true } => this with
        {
            NotYetLocked = NotYetLocked - 1, Locked = Locked + 1, StillLocked = StillLocked + 1,
        },
        EnvironmentLockConfirmed => this with { Listed = Listed + 1, Locked = Locked + 1, StillLocked = StillLocked + 1 },
        EnvironmentUnlockObserved => this with { StillLocked = StillLocked - 1, Unlocked = Unlocked + 1 },
        EnvironmentDeletionObserved deleted => deleted.Was switch
        {
            LockCycleEnvironmentStatus.Asked => this with { NotYetLocked = NotYetLocked - 1, Deleted = Deleted + 1 },
            LockCycleEnvironmentStatus.Locked => this with { StillLocked = StillLocked - 1, Deleted = Deleted + 1 },
            _ => this with { Deleted = Deleted + 1 },
        },
        _ => this,
    };

    private LockCycleCounts Join(int joined) => this with { Listed = Listed + joined, NotYetLocked = NotYetLocked + joined };
}
