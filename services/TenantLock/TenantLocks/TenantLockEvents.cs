namespace KeyPlatform.TenantLock.TenantLocks;

// The events of a lock cycle's stream (tenant-lock:{tenant}:{region}:{n}), a closed set. Times come from the
// decider's "now" (TimeProvider), so the waiting periods follow the clock tests move.

/// <summary>L1: an admin proved possession of the active key and typed the confirmation back.</summary>
public sealed record LockRequested(string TenantId, string Region, string LockCycleId, string Thumbprint, string RequestedBy,
    DateTimeOffset RequestedAt, DateTimeOffset DeletionDueAt);

/// <summary>KeyService accepted the lock: no key can change now; the environments are to be locked.</summary>
public sealed record KeyRingLockConfirmed(DateTimeOffset ConfirmedAt);

/// <summary>L3: lock these environments (sent as commands through the relay; sent again after a timeout).
/// <paramref name="AlreadyListed"/> of them were on the cycle's list before (noted, or asked before and not yet locked):
/// the others join the list now (the counts of the cycle follow from this, without its list).</summary>
public sealed record EnvironmentLocksRequested(IReadOnlyList<string> EnvironmentIds, DateTimeOffset RequestedAt, int AlreadyListed = 0);

/// <summary>L3: an environment came under the tenant key (as this service learned it) while the lock was waiting for
/// KeyService: it is in the list to lock once the keys are held.</summary>
public sealed record EnvironmentNoted(string EnvironmentId, DateTimeOffset NotedAt);

/// <summary>KeyService refused the lock: nothing is locked and the cycle ends.</summary>
public sealed record LockRefused(string Rule, string Reason, DateTimeOffset? AllowedAt, DateTimeOffset RefusedAt);

/// <summary>L3: EnvironmentEncryption refused to lock the environment because it is no longer under the tenant key (or no
/// longer the tenant's): it leaves the list, and the lock completes without it.</summary>
public sealed record EnvironmentLeftLock(string EnvironmentId, string Rule, string Reason, DateTimeOffset LeftAt);

/// <summary>The environment locked for this cycle. <paramref name="WasListed"/> is false for one that was not on the list
/// (it had left it, or was never asked): it is on the list again, locked.</summary>
public sealed record EnvironmentLockConfirmed(string EnvironmentId, DateTimeOffset LockedAt, bool WasListed = true);

/// <summary>L4: the keys are gone from the vault; the locking key is kept by thumbprint.</summary>
public sealed record KeysDeleted(string LockedKeyId, int Count, DateTimeOffset DeletedAt);

public sealed record LockCompleted(int EnvironmentsLocked, int KeysDeleted, DateTimeOffset CompletedAt);

/// <summary>L5: not finished in time; reported with what is left, and the saga keeps trying.</summary>
public sealed record LockTimedOut(IReadOnlyList<string> EnvironmentsNotLocked, bool KeysDeleted, DateTimeOffset TimedOutAt);

/// <summary>U1: the locking key is back in the vault as <paramref name="VaultKeyId"/>; KeyService installs it.</summary>
public sealed record KeyUnlockRequested(string Thumbprint, string VaultKeyId, string RequestedBy, DateTimeOffset RequestedAt);

/// <summary>U1 failed: KeyService could not install the re-uploaded locking key <paramref name="KeyId"/> (the reason is the
/// vault's, never key material). The cycle is <c>Locked</c> again, and a repeated unlock reinstalls the key.</summary>
public sealed record KeyUnlockFailed(string KeyId, string Reason, DateTimeOffset FailedAt);

/// <summary>U1 done: the tenant key is Active again; environments may now be unlocked by their admins (U2).</summary>
public sealed record KeyUnlocked(DateTimeOffset UnlockedAt);

public sealed record EnvironmentUnlockObserved(string EnvironmentId, DateTimeOffset UnlockedAt);

/// <summary>The environment was deleted; <paramref name="Was"/> is its status on this cycle until then (asked, locked or
/// unlocked).</summary>
public sealed record EnvironmentDeletionObserved(string EnvironmentId, DateTimeOffset DeletedAt,
    LockCycleEnvironmentStatus Was = LockCycleEnvironmentStatus.Locked);

/// <summary>L7: a warning before the deletion of environments still locked.</summary>
public sealed record DeletionWarningIssued(int DaysLeft, IReadOnlyList<string> EnvironmentIds, DateTimeOffset DeletionDueAt, DateTimeOffset WarnedAt);

/// <summary>L7: 28 days after the lock, delete the environments still locked.</summary>
public sealed record LockedEnvironmentDeletionRequested(IReadOnlyList<string> EnvironmentIds, DateTimeOffset RequestedAt);

/// <summary>U3: the key is active again and every locked environment was unlocked or deleted.</summary>
public sealed record LockCycleClosed(int EnvironmentsUnlocked, int EnvironmentsDeleted, DateTimeOffset ClosedAt);
