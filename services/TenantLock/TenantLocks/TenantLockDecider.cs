using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>The waiting periods of the lock (configuration section <c>Rules</c>).</summary>
public sealed class TenantLockRules
{
    /// <summary>L2.</summary>
    public TimeSpan NoLockAfterKeyChange { get; set; } = TimeSpan.FromHours(72);
    /// <summary>L5.</summary>
    public TimeSpan LockProcessLimit { get; set; } = TimeSpan.FromHours(1);
    /// <summary>L6.</summary>
    public TimeSpan MinimumLockedBeforeUnlock { get; set; } = TimeSpan.FromHours(1);
    /// <summary>L7.</summary>
    public TimeSpan LockedEnvironmentDeletion { get; set; } = TimeSpan.FromDays(28);
    /// <summary>L7: warnings this long before the deletion.</summary>
    public int[] DeletionWarningDays { get; set; } = [7, 1];
}

/// <summary>What the saga knows of the tenant's key ring from KeyService's events (L1, L2).</summary>
public sealed record ActiveKeyFacts(string ActiveThumbprint, DateTimeOffset LastKeyChangeAt);

// The saga's commands: from the admin (lock, unlock), from the other services' events, from its deadlines.
public sealed record RequestLock(string TenantId, string Region, string LockCycleId, string ProvedThumbprint, string ConfirmationText,
    bool AcknowledgeRisk, string RequestedBy);
public sealed record ObserveKeyRingLockStarted;
public sealed record ObserveEnvironmentUnderTenantKey(string EnvironmentId);
public sealed record ObserveKeyRingLockRefused(string Rule, string Reason, DateTimeOffset? AllowedAt);
public sealed record ObserveEnvironmentLocked(string EnvironmentId);
public sealed record ObserveEnvironmentLockRefused(string EnvironmentId, string Rule, string Reason);
public sealed record ObserveKeysDeleted(string LockedKeyId, int Count);
public sealed record ObserveKeyActivated(string Thumbprint);
public sealed record ObserveKeyInstallationFailed(string KeyId, string Reason);
public sealed record ObserveEnvironmentUnlocked(string EnvironmentId);
public sealed record ObserveEnvironmentDeleted(string EnvironmentId);
public sealed record RequestKeyUnlock(string ProvedThumbprint, string VaultKeyId, bool AcknowledgeRisk, string RequestedBy);
public sealed record ResumeLock;
public sealed record LockTimeLimitReached;
public sealed record DeletionWarningDue(int DaysLeft);
public sealed record DeletionDue;

/// <summary>The tenant-lock process manager: every decision of L1-L7 and U1-U3, pure.</summary>
public static class TenantLockDecider
{
    public static string ConfirmationText(string tenantId, string region) => $"LOCK {tenantId} {region}";

    /// <summary>L1, L2, A1, L5 (one open cycle at a time). <paramref name="previous"/> is the tenant's last cycle.</summary>
    public static Decision Decide(TenantLockCycle? previous, RequestLock command, ActiveKeyFacts? keys, TenantLockRules rules,
        DateTimeOffset now)
    {
        if (!command.AcknowledgeRisk)
            return Decision.Refuse(Rules.A1, "The risk of managing the encryption key must be acknowledged (acknowledgeRisk: true).");
        if (previous is { IsOpen: true })
            return Decision.Refuse(Rules.L5, $"Lock {previous.LockCycleId} is still open ({previous.Phase}); one lock at a time.");
        if (!string.Equals(command.ConfirmationText?.Trim(), ConfirmationText(command.TenantId, command.Region), StringComparison.Ordinal))
            return Decision.Refuse(Rules.L1,
                $"Type the confirmation text exactly as shown: {ConfirmationText(command.TenantId, command.Region)}");
        if (keys is null)
            return Decision.Refuse(Rules.L1, "The tenant has no Active key in this region to lock with.");
        if (!string.Equals(keys.ActiveThumbprint, command.ProvedThumbprint, StringComparison.OrdinalIgnoreCase))
            return Decision.Refuse(Rules.L1, "The key uploaded is not the tenant's Active key.");
        if (keys.LastKeyChangeAt + rules.NoLockAfterKeyChange > now)
            return Decision.Refuse(Rules.L2,
                $"The active key changed at {keys.LastKeyChangeAt:O}; no lock for {rules.NoLockAfterKeyChange.TotalHours:0} hours after a key change.",
                keys.LastKeyChangeAt + rules.NoLockAfterKeyChange);

        return Decision.Emit(new LockRequested(command.TenantId, command.Region, command.LockCycleId, command.ProvedThumbprint,
            command.RequestedBy, now, now + rules.LockedEnvironmentDeletion));
    }

    /// <summary>L3: KeyService holds the keys; lock every environment under the tenant key now, with those noted while the
    /// lock waited (<paramref name="noted"/>: the cycle's environments asked or noted so far).</summary>
    public static Decision Decide(TenantLockCycle cycle, ObserveKeyRingLockStarted _, IReadOnlyList<string> environmentsUnderTenantKey,
        IReadOnlyList<string> noted, DateTimeOffset now)
    {
        if (cycle.Phase != LockPhase.Requested) return Decision.Nothing;
        var confirmed = new KeyRingLockConfirmed(now);
        var after = Fold(cycle, confirmed);
        var toLock = environmentsUnderTenantKey.Union(noted).ToList();
        if (toLock.Count == 0) return CompleteIfDone(after, now, confirmed);
        var requested = new EnvironmentLocksRequested(toLock, now, AlreadyListed: noted.Count);
        return Decision.Emit(confirmed, requested);
    }

    /// <summary>L3: the saga's list of environments under the tenant key is learned from events and can lag. An environment
    /// that shows up while the lock waits for KeyService is noted for the lock; once the keys are held, it is asked to
    /// lock at once (also after the lock completed: its data key cannot be unwrapped any more, but it must not stay
    /// online either). <paramref name="status"/> is the environment's on this cycle (null: never on it).</summary>
    public static Decision Decide(TenantLockCycle cycle, ObserveEnvironmentUnderTenantKey observed, LockCycleEnvironmentStatus? status,
        DateTimeOffset now)
    {
        if (status is not (null or LockCycleEnvironmentStatus.Left)) return Decision.Nothing;
        return cycle.Phase switch
        {
            LockPhase.Requested => Decision.Emit(new EnvironmentNoted(observed.EnvironmentId, now)),
            LockPhase.Locking or LockPhase.Locked => Decision.Emit(new EnvironmentLocksRequested([observed.EnvironmentId], now)),
            _ => Decision.Nothing,
        };
    }

    public static Decision Decide(TenantLockCycle cycle, ObserveKeyRingLockRefused refused, DateTimeOffset now) =>
        cycle.Phase == LockPhase.Requested
            ? Decision.Emit(new LockRefused(refused.Rule, refused.Reason, refused.AllowedAt, now))
            : Decision.Nothing;

    /// <summary>A repeated confirmation of an environment already counted (locked, unlocked since, or deleted) decides nothing.</summary>
    public static Decision Decide(TenantLockCycle cycle, ObserveEnvironmentLocked locked, LockCycleEnvironmentStatus? status, DateTimeOffset now)
    {
        if (status is LockCycleEnvironmentStatus.Locked or LockCycleEnvironmentStatus.Unlocked or LockCycleEnvironmentStatus.Deleted)
            return Decision.Nothing;
        var confirmed = new EnvironmentLockConfirmed(locked.EnvironmentId, now, WasListed: status == LockCycleEnvironmentStatus.Asked);
        return CompleteIfDone(Fold(cycle, confirmed), now, confirmed);
    }

    /// <summary>L3: a refused lock step is a decision input. An environment refused because it is no longer under the tenant
    /// key (L3) or no longer the tenant's (not found) leaves the list, so the lock can complete without it; it is asked
    /// again if it comes back under the tenant key. Any other refusal keeps it on the list, reported by L5.</summary>
    public static Decision Decide(TenantLockCycle cycle, ObserveEnvironmentLockRefused refused, LockCycleEnvironmentStatus? status,
        DateTimeOffset now)
    {
        if (refused.Rule is not (Rules.L3 or Rules.NotFound) || status != LockCycleEnvironmentStatus.Asked) return Decision.Nothing;
        var left = new EnvironmentLeftLock(refused.EnvironmentId, refused.Rule, refused.Reason, now);
        return CompleteIfDone(Fold(cycle, left), now, left);
    }

    public static Decision Decide(TenantLockCycle cycle, ObserveKeysDeleted deleted, DateTimeOffset now)
    {
        if (cycle.KeysLocked) return Decision.Nothing;
        var keysDeleted = new KeysDeleted(deleted.LockedKeyId, deleted.Count, now);
        return CompleteIfDone(Fold(cycle, keysDeleted), now, keysDeleted);
    }

    /// <summary>L5: the lock has not finished within its limit: report what is left (<paramref name="notYetLocked"/>) and ask
    /// again for it.</summary>
    public static Decision Decide(TenantLockCycle cycle, LockTimeLimitReached _, IReadOnlyList<string> notYetLocked, DateTimeOffset now)
    {
        if (cycle.Phase is not (LockPhase.Requested or LockPhase.Locking)) return Decision.Nothing;
        var events = new List<object> { new LockTimedOut(notYetLocked, cycle.KeysLocked, now) };
        if (notYetLocked.Count > 0 && cycle.Phase == LockPhase.Locking) events.Add(AskAgain(notYetLocked, now));
        return Decision.Emit([.. events]);
    }

    /// <summary>L5: an operator or admin resumes a lock that has not finished: ask again for what is left.</summary>
    public static Decision Decide(TenantLockCycle? cycle, ResumeLock _, IReadOnlyList<string> notYetLocked, DateTimeOffset now) =>
        cycle is { Phase: LockPhase.Locking } && notYetLocked.Count > 0
            ? Decision.Emit(AskAgain(notYetLocked, now))
            : cycle is null
                ? Decision.Refuse(Refusal.NotFound("There is no lock to resume."))
                : Decision.Nothing;

    private static EnvironmentLocksRequested AskAgain(IReadOnlyList<string> notYetLocked, DateTimeOffset now) =>
        new(notYetLocked, now, AlreadyListed: notYetLocked.Count);

    /// <summary>U1, L5, L6: only once the lock finished, not before the minimum time locked, only with the locking key.</summary>
    public static Refusal? CanUnlockKey(TenantLockCycle? cycle, string provedThumbprint, bool acknowledgeRisk, TenantLockRules rules,
        DateTimeOffset now)
    {
        if (!acknowledgeRisk)
            return new Refusal(Rules.A1, "The risk of managing the encryption key must be acknowledged (acknowledgeRisk: true).");
        if (cycle is null || !cycle.IsOpen) return Refusal.NotFound("The tenant is not locked in this region.");
        if (cycle.Phase is LockPhase.Requested or LockPhase.Locking)
            return new Refusal(Rules.L5, "The lock is still running; the key can be unlocked once it has finished.",
                cycle.RequestedAt + rules.LockProcessLimit);
        if (cycle.RequestedAt + rules.MinimumLockedBeforeUnlock > now)
            return new Refusal(Rules.L6, $"No unlock earlier than {rules.MinimumLockedBeforeUnlock.TotalHours:0} hour(s) after the lock.",
                cycle.RequestedAt + rules.MinimumLockedBeforeUnlock);
        if (!string.Equals(cycle.Thumbprint, provedThumbprint, StringComparison.OrdinalIgnoreCase))
            return new Refusal(Rules.U1, "Only the key that was used to lock can unlock; this key has another thumbprint.");
        return null;
    }

    public static Decision Decide(TenantLockCycle? cycle, RequestKeyUnlock command, TenantLockRules rules, DateTimeOffset now)
    {
        if (cycle?.Phase is LockPhase.UnlockingKey or LockPhase.KeyUnlocked) return Decision.Nothing;
        return CanUnlockKey(cycle, command.ProvedThumbprint, command.AcknowledgeRisk, rules, now) is { } refusal
            ? Decision.Refuse(refusal)
            : Decision.Emit(new KeyUnlockRequested(command.ProvedThumbprint, command.VaultKeyId, command.RequestedBy, now));
    }

    public static Decision Decide(TenantLockCycle cycle, ObserveKeyActivated activated, DateTimeOffset now)
    {
        if (cycle.Phase != LockPhase.UnlockingKey
            || !string.Equals(cycle.Thumbprint, activated.Thumbprint, StringComparison.OrdinalIgnoreCase)) return Decision.Nothing;
        var unlocked = new KeyUnlocked(now);
        return CloseIfDone(Fold(cycle, unlocked), now, unlocked);
    }

    /// <summary>U1: KeyService could not install the locking key again. The failure is recorded on the cycle, which is
    /// Locked again: the admin's next unlock reinstalls the key (a failure of any other key, or outside an unlock, is not
    /// this cycle's).</summary>
    public static Decision Decide(TenantLockCycle cycle, ObserveKeyInstallationFailed failed, DateTimeOffset now)
    {
        if (cycle.Phase != LockPhase.UnlockingKey || (cycle.LockedKeyId is not null && cycle.LockedKeyId != failed.KeyId)) return Decision.Nothing;
        var unlockFailed = new KeyUnlockFailed(failed.KeyId, failed.Reason, now);
        return CloseIfDone(Fold(cycle, unlockFailed), now, unlockFailed);
    }

    public static Decision Decide(TenantLockCycle cycle, ObserveEnvironmentUnlocked unlocked, LockCycleEnvironmentStatus? status,
        DateTimeOffset now)
    {
        if (status != LockCycleEnvironmentStatus.Locked) return Decision.Nothing;
        var observed = new EnvironmentUnlockObserved(unlocked.EnvironmentId, now);
        return CloseIfDone(Fold(cycle, observed), now, observed);
    }

    public static Decision Decide(TenantLockCycle cycle, ObserveEnvironmentDeleted deleted, LockCycleEnvironmentStatus? status,
        DateTimeOffset now)
    {
        if (status is not ({ } was and (LockCycleEnvironmentStatus.Asked or LockCycleEnvironmentStatus.Locked or LockCycleEnvironmentStatus.Unlocked)))
            return Decision.Nothing;
        var observed = new EnvironmentDeletionObserved(deleted.EnvironmentId, now, was);
        var after = Fold(cycle, observed);
        return cycle.Phase == LockPhase.Locking
            ? CompleteIfDone(after, now, observed)
            : CloseIfDone(after, now, observed);
    }

    /// <summary>L7: warn while environments are still locked (<paramref name="stillLocked"/>).</summary>
    public static Decision Decide(TenantLockCycle cycle, DeletionWarningDue warning, IReadOnlyList<string> stillLocked, DateTimeOffset now) =>
        cycle.IsOpen && stillLocked.Count > 0
            ? Decision.Emit(new DeletionWarningIssued(warning.DaysLeft, stillLocked, cycle.DeletionDueAt, now))
            : Decision.Nothing;

    /// <summary>L7: delete the environments still locked 28 days after the lock.</summary>
    public static Decision Decide(TenantLockCycle cycle, DeletionDue _, IReadOnlyList<string> stillLocked, DateTimeOffset now) =>
        cycle.IsOpen && stillLocked.Count > 0
            ? Decision.Emit(new LockedEnvironmentDeletionRequested(stillLocked, now))
            : Decision.Nothing;

    private static TenantLockCycle Fold(TenantLockCycle cycle, object @event) => TenantLockCycle.Fold(cycle, @event)!;

    // The keys may be reported deleted before the saga saw the ring's lock start: completion is checked on both.
    private static Decision CompleteIfDone(TenantLockCycle after, DateTimeOffset now, object observed) =>
        after.Phase == LockPhase.Locking && after.KeysLocked && after.Environments.NotYetLocked == 0
            ? Decision.Emit(observed, new LockCompleted(after.Environments.Locked, after.KeysDeleted, now))
            : Decision.Emit(observed);

    // U3: the cycle closes once every environment it locked is unlocked or deleted: after the key is active again, or
    // while it is still locked if the lock locked environments and L7 (or the platform) deleted them all.
    private static Decision CloseIfDone(TenantLockCycle after, DateTimeOffset now, object observed) =>
        IsResolved(after)
            ? Decision.Emit(observed, new LockCycleClosed(after.Environments.Unlocked, after.Environments.Deleted, now))
            : Decision.Emit(observed);

    private static bool IsResolved(TenantLockCycle cycle) => cycle.Environments.StillLocked == 0 && cycle.Phase switch
    {
        LockPhase.KeyUnlocked => true,
        LockPhase.Locked => cycle.Environments.Locked > 0 && cycle.Environments.NotYetLocked == 0,
        _ => false,
    };
}
