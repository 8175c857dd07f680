namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>Where one environment is in one lock cycle.</summary>
public enum LockCycleEnvironmentStatus
{
    /// <summary>On the list, not locked yet (noted before the keys were held, or asked to lock).</summary>
    Asked,
    Locked,
    /// <summary>Refused to lock because it is no longer under the tenant key or no longer the tenant's (L3): off the list.</summary>
    Left,
    Unlocked,
    Deleted,
}

/// <summary>One environment's place in one lock cycle, a document per (cycle, environment), written inline from the
/// cycle's events in the transaction that appends them (<see cref="LockCycleEnvironmentProjection"/>). The saga's
/// decisions about an environment read it (a repeated confirmation of an environment already counted decides nothing),
/// and the lock progress lists from it the environments not locked yet.</summary>
public sealed record LockCycleEnvironment(string Id, string LockCycleId, string EnvironmentId, LockCycleEnvironmentStatus Status,
    DateTimeOffset ChangedAt)
{
    /// <summary>Environment ids never contain '/' (X3), so the key splits back into the cycle and the environment.</summary>
    public static string Key(string lockCycleId, string environmentId) => $"{lockCycleId}/{environmentId}";

    /// <summary>The one mapping from a cycle's events to its environments' statuses: which environments the event moves,
    /// to which status, and when.</summary>
    public static IReadOnlyList<string> EnvironmentsOf(object @event) => @event switch
    {
        EnvironmentLocksRequested requested => requested.EnvironmentIds,
        EnvironmentNoted noted => [noted.EnvironmentId],
        EnvironmentLeftLock left => [left.EnvironmentId],
        EnvironmentLockConfirmed locked => [locked.EnvironmentId],
        EnvironmentUnlockObserved unlocked => [unlocked.EnvironmentId],
        EnvironmentDeletionObserved deleted => [deleted.EnvironmentId],
        _ => [],
    };

    public static (LockCycleEnvironmentStatus Status, DateTimeOffset At)? StatusAfter(object @event) => @event switch
    {
        EnvironmentLocksRequested requested => (LockCycleEnvironmentStatus.Asked, requested.RequestedAt),
        EnvironmentNoted noted => (LockCycleEnvironmentStatus.Asked, noted.NotedAt),
        EnvironmentLeftLock left => (LockCycleEnvironmentStatus.Left, left.LeftAt),
        EnvironmentLockConfirmed locked => (LockCycleEnvironmentStatus.Locked, locked.LockedAt),
        EnvironmentUnlockObserved unlocked => (LockCycleEnvironmentStatus.Unlocked, unlocked.UnlockedAt),
        EnvironmentDeletionObserved deleted => (LockCycleEnvironmentStatus.Deleted, deleted.DeletedAt),
        _ => null,
    };

    /// <summary>The document after <paramref name="event"/> of cycle <paramref name="lockCycleId"/> for
    /// <paramref name="environmentId"/> (one of <see cref="EnvironmentsOf"/>).</summary>
    public static LockCycleEnvironment? Fold(LockCycleEnvironment? document, string lockCycleId, string environmentId, object @event) =>
        StatusAfter(@event) is { } after
            ? new LockCycleEnvironment(Key(lockCycleId, environmentId), lockCycleId, environmentId, after.Status, after.At)
            : document;
}
