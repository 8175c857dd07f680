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

/// <summary>The saga's state, rebuilt from its stream and kept inline as the lock progress document (S4).</summary>
public sealed record TenantLockCycle(
    string Id,
    string TenantId,
    string Region,
    string LockCycleId,
    string Thumbprint,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset DeletionDueAt,
    LockPhase Phase,
    IReadOnlyList<string> Environments,
    IReadOnlyList<string> LockedEnvironments,
    IReadOnlyList<string> UnlockedEnvironments,
    IReadOnlyList<string> DeletedEnvironments,
    int KeysDeleted,
    bool KeysLocked,
    DateTimeOffset? CompletedAt = null,
    DateTimeOffset? TimedOutAt = null,
    string? RefusalRule = null,
    string? RefusalReason = null,
    DateTimeOffset? ClosedAt = null,
    int WarningsIssued = 0,
    string? LockedKeyId = null,
    string? KeyUnlockFailure = null,
    DateTimeOffset? KeyUnlockFailedAt = null)
{
    private const string StreamPrefix = "tenant-lock:";

    public static string StreamKey(string tenantId, string region, int cycleNumber) =>
        $"{StreamPrefix}{tenantId}:{region}:{cycleNumber}";

    /// <summary>The tenant and region a lock cycle id names (regions never contain ':').</summary>
    public static (string TenantId, string Region) ParseStreamKey(string streamKey)
    {
        var withoutNumber = streamKey[..streamKey.LastIndexOf(':')];
        var split = withoutNumber.LastIndexOf(':');
        return (withoutNumber[StreamPrefix.Length..split], withoutNumber[(split + 1)..]);
    }

    /// <summary>Environments locked by this cycle and not yet unlocked or deleted.</summary>
    public IReadOnlyList<string> StillLocked =>
        LockedEnvironments.Except(UnlockedEnvironments).Except(DeletedEnvironments).ToList();

    /// <summary>Environments this cycle asked to lock that have not confirmed yet (deleted ones excepted).</summary>
    public IReadOnlyList<string> NotYetLocked => Environments.Except(LockedEnvironments).Except(DeletedEnvironments).ToList();

    public bool IsOpen => Phase is not (LockPhase.Closed or LockPhase.Refused);

    /// <summary>The lock cycle id is its stream key, so every message about the cycle finds its stream.</summary>
    public static TenantLockCycle Create(LockRequested requested) => new(
        requested.LockCycleId, requested.TenantId, requested.Region,
        requested.LockCycleId, requested.Thumbprint, requested.RequestedBy, requested.RequestedAt, requested.DeletionDueAt,
        LockPhase.Requested, [], [], [], [], 0, false);

    public TenantLockCycle Apply(KeyRingLockConfirmed _) => this with { Phase = LockPhase.Locking };

    public TenantLockCycle Apply(EnvironmentLocksRequested requested) =>
        this with { Environments = Environments.Union(requested.EnvironmentIds).ToList() };

    public TenantLockCycle Apply(EnvironmentNoted noted) =>
        this with { Environments = Environments.Union([noted.EnvironmentId]).ToList() };

    public TenantLockCycle Apply(LockRefused refused) =>
        this with { Phase = LockPhase.Refused, RefusalRule = refused.Rule, RefusalReason = refused.Reason };

    public TenantLockCycle Apply(EnvironmentLeftLock left) =>
        this with { Environments = Environments.Where(id => id != left.EnvironmentId).ToList() };

    public TenantLockCycle Apply(EnvironmentLockConfirmed locked) =>
        this with { LockedEnvironments = LockedEnvironments.Union([locked.EnvironmentId]).ToList() };

    public TenantLockCycle Apply(KeysDeleted deleted) =>
        this with { KeysLocked = true, KeysDeleted = deleted.Count, LockedKeyId = deleted.LockedKeyId };

    public TenantLockCycle Apply(LockCompleted completed) => this with { Phase = LockPhase.Locked, CompletedAt = completed.CompletedAt };

    public TenantLockCycle Apply(LockTimedOut timedOut) => this with { TimedOutAt = timedOut.TimedOutAt };

    public TenantLockCycle Apply(KeyUnlockRequested _) =>
        this with { Phase = LockPhase.UnlockingKey, KeyUnlockFailure = null, KeyUnlockFailedAt = null };

    /// <summary>U1: the reinstall failed; the key is still out of use, so the cycle is Locked again and the last failure is shown.</summary>
    public TenantLockCycle Apply(KeyUnlockFailed failed) =>
        this with { Phase = LockPhase.Locked, KeyUnlockFailure = failed.Reason, KeyUnlockFailedAt = failed.FailedAt };

    public TenantLockCycle Apply(KeyUnlocked _) => this with { Phase = LockPhase.KeyUnlocked };

    public TenantLockCycle Apply(EnvironmentUnlockObserved unlocked) =>
        this with { UnlockedEnvironments = UnlockedEnvironments.Union([unlocked.EnvironmentId]).ToList() };

    public TenantLockCycle Apply(EnvironmentDeletionObserved deleted) =>
        this with { DeletedEnvironments = DeletedEnvironments.Union([deleted.EnvironmentId]).ToList() };

    public TenantLockCycle Apply(DeletionWarningIssued _) => this with { WarningsIssued = WarningsIssued + 1 };

    public TenantLockCycle Apply(LockedEnvironmentDeletionRequested _) => this;

    public TenantLockCycle Apply(LockCycleClosed closed) => this with { Phase = LockPhase.Closed, ClosedAt = closed.ClosedAt };
}
