using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.TenantLocks;

/// <summary>A tenant admin asked to lock the tenant's region with its active key (L1); the lock cycle begins.
/// Environments still locked at <see cref="DeletionDueAt"/> will be deleted (L7).</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:tenant-locks:tenant-lock-started:v1", false)]
[EntityName("keyplatform.tenant-locks.tenant-lock-started.v1")]
public sealed record TenantLockStarted(string TenantId, string Region, string LockCycleId, string RequestedBy, DateTimeOffset StartedAt,
    DateTimeOffset DeletionDueAt);

/// <summary>KeyService refused the lock (the active key changed meanwhile, L2...): nothing was locked.</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:tenant-locks:tenant-lock-refused:v1", false)]
[EntityName("keyplatform.tenant-locks.tenant-lock-refused.v1")]
public sealed record TenantLockRefused(string TenantId, string Region, string LockCycleId, string Rule, string Reason, DateTimeOffset RefusedAt);

/// <summary>L3, L4 done: every environment under the tenant key is locked and the keys are gone from the vault.</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:tenant-locks:tenant-lock-completed:v1", false)]
[EntityName("keyplatform.tenant-locks.tenant-lock-completed.v1")]
public sealed record TenantLockCompleted(string TenantId, string Region, string LockCycleId, int EnvironmentsLocked, int KeysDeleted,
    DateTimeOffset CompletedAt);

/// <summary>L5: the lock did not finish within its limit; what is left is listed, and the saga keeps trying.</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:tenant-locks:tenant-lock-timed-out:v1", false)]
[EntityName("keyplatform.tenant-locks.tenant-lock-timed-out.v1")]
public sealed record TenantLockTimedOut(string TenantId, string Region, string LockCycleId, IReadOnlyList<string> EnvironmentsNotLocked,
    bool KeysDeleted, DateTimeOffset TimedOutAt);

/// <summary>L7: environments still locked will be deleted at <see cref="DeletionDueAt"/> (warnings 7 days and 1 day before).</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:tenant-locks:locked-environments-deletion-warning:v1", false)]
[EntityName("keyplatform.tenant-locks.locked-environments-deletion-warning.v1")]
public sealed record LockedEnvironmentsDeletionWarning(string TenantId, string Region, string LockCycleId, IReadOnlyList<string> EnvironmentIds,
    DateTimeOffset DeletionDueAt, int DaysLeft, DateTimeOffset WarnedAt);

/// <summary>The cycle is over: the key is active again and every locked environment was unlocked or deleted (U3).</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:tenant-locks:tenant-lock-cycle-closed:v1", false)]
[EntityName("keyplatform.tenant-locks.tenant-lock-cycle-closed.v1")]
public sealed record TenantLockCycleClosed(string TenantId, string Region, string LockCycleId, int EnvironmentsUnlocked,
    int EnvironmentsDeleted, DateTimeOffset ClosedAt);
