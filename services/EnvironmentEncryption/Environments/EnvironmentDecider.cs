using System.Globalization;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;

namespace KeyPlatform.EnvironmentEncryption.Environments;

/// <summary>K8: the environment's data key, rewrapped by the handler under the tenant's active key. <see cref="RewrapId"/>
/// names the K8 run, if any.</summary>
public sealed record RewrapDataKey(WrappedDataKey NewKey, string? RewrapId);

/// <summary>V3, the completion of E2 and E3: a fresh data key (<see cref="NewKey"/>), wrapped only by the key the Updating
/// environment moves to; the handler re-encrypted the environment's <see cref="RecordsReencrypted"/> records, all under
/// <see cref="FromDataKeyId"/>, with it, and stores them in the transaction the decision is appended in.</summary>
public sealed record ReplaceDataKey(WrappedDataKey NewKey, string FromDataKeyId, int RecordsReencrypted);

/// <summary>Every rule of an environment's encryption, as pure functions of (state, command, facts, now). Handlers do
/// the I/O (vault, documents) around them: a <c>Can…</c> check before any I/O, then <c>Decide</c> with its result,
/// which checks again on the state the events are appended to.</summary>
public static class EnvironmentDecider
{
    /// <summary>T4: files and images stay in the single store only from this version on…</summary>
    public static readonly Version MinimumVersionForFiles = new(9, 2, 21052, 103);

    /// <summary>…and only below this size each.</summary>
    public const long MaxFileBytes = 128L * 1024 * 1024;

    /// <summary>T3: what always stays under the platform-managed key, whatever key the environment uses.</summary>
    public static readonly IReadOnlyList<string> PlatformManagedComponents =
    [
        "Copilots and generative AI", "Search", "Elastic tables", "Mobile offline", "Activity log", "Mail server-side sync",
    ];

    // ---------------------------------------------------------------- registration (E1, D1)

    public static Refusal? CanRegister(TenantEnvironment? state, RegisterEnvironment command) =>
        state is not null && state.TenantId != command.TenantId
            ? Refusal.Invalid($"Environment '{command.EnvironmentId}' is registered for another tenant.")
            : null;

    /// <summary>E1, D1: a new environment starts under the platform key, with its own data key wrapped by it.</summary>
    public static Decision Decide(TenantEnvironment? state, RegisterEnvironment command, WrappedDataKey dataKey, DateTimeOffset now)
    {
        if (CanRegister(state, command) is { } refusal) return Decision.Refuse(refusal);
        if (state is not null) return Decision.Nothing;
        if (dataKey.Protection != EnvironmentProtection.PlatformKey)
            throw new ArgumentException("E1: a new environment's data key is wrapped by the platform key.", nameof(dataKey));

        return Emit(null, now,
            new EnvironmentRegistered(command.EnvironmentId, command.TenantId, command.Region, command.Name, command.Type,
                command.Storage, command.Version, command.CreatedAt, now),
            new DataKeyGenerated(dataKey, now));
    }

    /// <summary>The platform deleted the environment.</summary>
    public static Decision Decide(TenantEnvironment? state, DeleteEnvironment command, DateTimeOffset now)
    {
        if (state is { State: EnvironmentState.Deleted } && state.TenantId == command.TenantId) return Decision.Nothing;
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return Decision.Refuse(missing);
        // E6, L7: a locked environment is out of everyone's reach; only the lock cycle's 28-day deletion removes it.
        if (state!.IsLockedOrLocking)
            return Decision.Refuse(Rules.L7,
                $"Environment '{state.Name}' is {state.State}: it is deleted only by its lock cycle, 28 days after the lock (L7), or after it is unlocked.");
        var reason = string.IsNullOrWhiteSpace(command.Reason) ? "Deleted by the platform." : command.Reason.Trim();
        return Emit(state, now, new EnvironmentRemoved(state!.TenantId, state.Region, reason, null, now));
    }

    // ---------------------------------------------------------------- apply the tenant key (A1, T2, E2)

    /// <summary>E2: eligible (T2), the tenant has an Active key: the environment goes Updating until its records are
    /// re-encrypted under a fresh data key wrapped by that key (V3, <see cref="Decide(TenantEnvironment?, ReplaceDataKey, DateTimeOffset)"/>).</summary>
    public static Decision Decide(TenantEnvironment? state, ApplyTenantKeyToEnvironment command, TenantFacts? facts, DateTimeOffset now)
    {
        if (!command.AcknowledgeRisk) return Decision.Refuse(RiskNotAcknowledged());
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return Decision.Refuse(missing);
        var environment = state!;
        if (environment.IsLockedOrLocking) return Decision.Refuse(Inaccessible(environment));
        if (environment.State == EnvironmentState.Updating || environment.Protection == EnvironmentProtection.TenantKey)
            return Decision.Nothing;
        if (environment.Storage == EnvironmentStorage.Mixed)
            return Decision.Refuse(Rules.T2,
                $"Environment '{environment.Name}' keeps its files and logs outside its single relational store (storage: mixed); such environments can never use a tenant key.");
        if (facts?.FeatureEnabled != true)
            return Decision.Refuse(Rules.T2, "The tenant key feature is not turned on for this tenant, so no environment can use a tenant key.");
        var enabledAt = facts.EnabledAt;
        if (environment.CreatedAt <= enabledAt)
            return Decision.Refuse(Rules.T2,
                $"Environment '{environment.Name}' was created at {environment.CreatedAt:O}, before the tenant key feature was turned on at {enabledAt:O}; only environments created after it can use a tenant key.");
        if (facts.ActiveKey(environment.Region) is not { } active)
            return Decision.Refuse(Rules.E2, $"The tenant has no Active key in region '{environment.Region}'.");

        return Emit(environment, now, new TenantKeyApplicationStarted(environment.TenantId, environment.Region, active.KeyId, now));
    }

    // ---------------------------------------------------------------- rewrap (K8)

    /// <summary>Whether the environment's data key must be wrapped anew by <paramref name="target"/>: it is online under another
    /// tenant key (K8), or under this one but recorded with another algorithm than <paramref name="preferredAlgorithm"/>, the
    /// one the vault wraps with now (see docs/decisions/0017). Locked environments are not touched (E6: maintenance stops; they
    /// are rewrapped at unlock, U2), and an Updating one gets a fresh data key instead (V3, <see cref="NeedsFreshDataKey"/>).</summary>
    public static bool NeedsRewrap(TenantEnvironment? state, ActiveTenantKey? target, string preferredAlgorithm) =>
        state?.DataKey is { } current && target is not null
        && state.State == EnvironmentState.Active && state.Protection == EnvironmentProtection.TenantKey
        && (current.Thumbprint != target.Thumbprint || WrappingAlgorithm.OrDefault(current.Algorithm) != preferredAlgorithm);

    /// <summary>K8: one rewrap per environment, target key and algorithm; a repeat (redelivery, restart) finds it done and
    /// changes nothing. Only online environments under a tenant key are rewrapped: V3 never moves a data key from the
    /// platform key to a tenant key, so an Updating environment is left to <see cref="ReplaceDataKey"/>. A rewrap under the
    /// same key only moves the data key to the algorithm it was wrapped with now (<see cref="RewrapReason.AlgorithmChanged"/>).</summary>
    public static Decision Decide(TenantEnvironment? state, RewrapDataKey command, DateTimeOffset now)
    {
        var key = command.NewKey;
        if (key.Protection != EnvironmentProtection.TenantKey)
            throw new ArgumentException("K8 rewraps under a tenant key.", nameof(command));
        if (state?.DataKey is not { } current || key.DataKeyId != current.DataKeyId) return Decision.Nothing;
        if (!(state.State == EnvironmentState.Active && state.Protection == EnvironmentProtection.TenantKey)) return Decision.Nothing;
        var sameKey = current.Thumbprint == key.Thumbprint;
        if (sameKey && WrappingAlgorithm.OrDefault(current.Algorithm) == WrappingAlgorithm.OrDefault(key.Algorithm)) return Decision.Nothing;

        return Emit(state, now, new DataKeyRewrapped(key, current.Thumbprint, current.TenantKeyId,
            sameKey ? RewrapReason.AlgorithmChanged : RewrapReason.KeyActivated, command.RewrapId, now));
    }

    /// <summary>K8: the data key could not be rewrapped for the new key; an online environment stays wrapped by its old
    /// key, and the failure is recorded.</summary>
    public static Decision DecideRewrapFailure(TenantEnvironment? state, string targetKeyId, string reason, string? rewrapId,
        DateTimeOffset now) => state is { State: EnvironmentState.Active, Protection: EnvironmentProtection.TenantKey }
        ? Decision.Emit(new DataKeyRewrapFailed(targetKeyId, reason, rewrapId, now))
        : Decision.Nothing;

    // ---------------------------------------------------------------- a fresh data key (V3: E2's and E3's completion)

    /// <summary>V3: an Updating environment (E2 or E3) is completed with a fresh data key, never by rewrapping the one it has.</summary>
    public static bool NeedsFreshDataKey(TenantEnvironment? state) => state is { State: EnvironmentState.Updating, DataKey: not null };

    /// <summary>Which key an Updating environment moves to: the platform key (E3) or the tenant's active key (E2).</summary>
    public static EnvironmentProtection UpdatingTo(TenantEnvironment state) =>
        state.ReturningToPlatformKey ? EnvironmentProtection.PlatformKey : EnvironmentProtection.TenantKey;

    /// <summary>V3: the records were re-encrypted under a fresh data key wrapped by the key the environment moves to; it is
    /// Active under that key (E2: TenantKeyApplied; E3: ReturnedToPlatformKey). A repeat (redelivery, restart) finds the
    /// environment no longer Updating, or under another data key, and changes nothing.</summary>
    public static Decision Decide(TenantEnvironment? state, ReplaceDataKey command, DateTimeOffset now)
    {
        if (!NeedsFreshDataKey(state) || state!.DataKey!.DataKeyId != command.FromDataKeyId) return Decision.Nothing;
        var key = command.NewKey;
        var current = state.DataKey;
        if (key.DataKeyId == current.DataKeyId)
            throw new ArgumentException("V3: the environment moves to a fresh data key, not to its current one rewrapped.", nameof(command));
        var target = UpdatingTo(state);
        if (key.Protection != target)
            throw new ArgumentException($"V3: the fresh data key is wrapped only by the key the environment moves to ({target}).", nameof(command));

        var replaced = new DataKeyReplaced(key, current.DataKeyId, current.Thumbprint, current.TenantKeyId,
            target == EnvironmentProtection.TenantKey ? RewrapReason.TenantKeyApplied : RewrapReason.ReturnedToPlatformKey,
            command.RecordsReencrypted, now);
        return target == EnvironmentProtection.TenantKey
            ? Emit(state, now, replaced, new TenantKeyApplied(key.TenantKeyId!, now))
            : Emit(state, now, replaced, new ReturnedToPlatformKey(now));
    }

    /// <summary>No fresh data key could be put in place (no active key any more, a key left the vault, a record did not
    /// open): the update ends under the data key and key the environment had.</summary>
    public static Decision DecideReplacementFailure(TenantEnvironment? state, string reason, DateTimeOffset now) =>
        NeedsFreshDataKey(state)
            ? Emit(state, now, state!.ReturningToPlatformKey ? new ReturnToPlatformKeyFailed(reason, now) : new TenantKeyApplicationFailed(reason, now))
            : Decision.Nothing;

    // ---------------------------------------------------------------- return to the platform key (A1, E3)

    /// <summary>A1, E2, E3, E6, and L3: while a lock holds the tenant's keys of the region (<paramref name="facts"/>), an
    /// environment under the tenant key stays under it, so it cannot escape the lock.</summary>
    public static Refusal? CanReturn(TenantEnvironment? state, ReturnEnvironmentToPlatformKey command, TenantFacts? facts = null)
    {
        if (!command.AcknowledgeRisk) return RiskNotAcknowledged();
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return missing;
        var environment = state!;
        if (environment.IsLockedOrLocking) return Inaccessible(environment);
        if (environment.Protection == EnvironmentProtection.TenantKey && facts?.LockHolds(environment.Region) == true)
            return new Refusal(Rules.L3,
                $"The tenant's lock of region '{environment.Region}' is running; environment '{environment.Name}' stays under the tenant key until a key is active there again.");
        if (environment.State == EnvironmentState.Updating)
            return new Refusal(Rules.E2, $"Environment '{environment.Name}' is being updated to another key; return it once it is Active.");
        if (environment.Protection == EnvironmentProtection.PlatformKey) return null;
        if (environment.Type == EnvironmentType.Production
            && !string.Equals(command.ConfirmationName?.Trim(), environment.Name, StringComparison.Ordinal))
            return new Refusal(Rules.E3,
                $"'{environment.Name}' is a production environment: type its name exactly as confirmation to return it to the platform-managed key.");
        return null;
    }

    /// <summary>E3: the environment goes Updating (offline) until its records are re-encrypted under a fresh data key wrapped
    /// by the platform key (V3: a data key that protected data under the tenant key is never wrapped by the platform key).</summary>
    public static Decision Decide(TenantEnvironment? state, ReturnEnvironmentToPlatformKey command, DateTimeOffset now,
        TenantFacts? facts = null)
    {
        if (CanReturn(state, command, facts) is { } refusal) return Decision.Refuse(refusal);
        var environment = state!;
        if (environment.Protection == EnvironmentProtection.PlatformKey) return Decision.Nothing;
        return Emit(environment, now, new ReturnToPlatformKeyStarted(environment.TenantId, environment.Region, now));
    }

    // ---------------------------------------------------------------- lock (E6, L3, L7) and unlock (U1, U2, L5)

    /// <summary>E6, step one: from now on nothing is released (the handler then drops cached plaintext keys and
    /// completes the lock). Locking a locked environment changes nothing, and neither does a late lock of a cycle that
    /// already locked it (it may have been unlocked since, U2).</summary>
    public static Decision Decide(TenantEnvironment? state, LockEnvironment command, DateTimeOffset now)
    {
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return Decision.Refuse(missing);
        var environment = state!;
        if (environment.IsLockedOrLocking || environment.LastLockCycleId == command.LockCycleId) return Decision.Nothing;
        if (environment.Protection == EnvironmentProtection.PlatformKey && environment.State != EnvironmentState.Updating)
            return Decision.Refuse(Rules.L3, $"Environment '{environment.Name}' is under the platform-managed key; a lock locks environments under the tenant key.");
        return Emit(environment, now, new LockStarted(environment.TenantId, environment.Region, command.LockCycleId, now));
    }

    /// <summary>E6, step two: the environment is locked.</summary>
    public static Decision DecideLockCompletion(TenantEnvironment? state, DateTimeOffset now) =>
        state is { State: EnvironmentState.Locking }
            ? Emit(state, now, new LockCompleted(state.TenantId, state.Region, state.LockCycleId!, now))
            : Decision.Nothing;

    /// <summary>U2: only a locked environment, once the tenant has an Active key again (activated after the lock);
    /// U1: it must be the key the environment was locked with (same thumbprint).</summary>
    public static Refusal? CanUnlock(TenantEnvironment? state, UnlockEnvironment command, TenantFacts? facts)
    {
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return missing;
        var environment = state!;
        switch (environment.State)
        {
            case EnvironmentState.Active: return null;
            case EnvironmentState.Locking:
                return new Refusal(Rules.L5, $"Environment '{environment.Name}' is being locked; unlocking is refused until the lock has finished.");
            case not EnvironmentState.Locked:
                return new Refusal(Rules.U2, $"Environment '{environment.Name}' is not locked (it is {environment.State}).");
        }

        var active = facts?.ActiveKey(environment.Region);
        if (active is null || active.ActivatedAt <= environment.LockedSince)
            return new Refusal(Rules.U2,
                $"Environment '{environment.Name}' can be unlocked only once the tenant key is Active again: no key has been activated in region '{environment.Region}' since the lock at {environment.LockedSince:O}.");
        if (environment.Protection == EnvironmentProtection.TenantKey && environment.DataKey!.Thumbprint != active.Thumbprint)
            return new Refusal(Rules.U1,
                $"The active key (thumbprint {active.Thumbprint}) is not the key environment '{environment.Name}' was locked with (thumbprint {environment.DataKey.Thumbprint}).");
        return null;
    }

    /// <summary>U2: the data key, rewrapped by the handler under the now-active key (the handler proved it unwraps).</summary>
    public static Decision Decide(TenantEnvironment? state, UnlockEnvironment command, TenantFacts? facts, WrappedDataKey rewrapped,
        DateTimeOffset now)
    {
        if (CanUnlock(state, command, facts) is { } refusal) return Decision.Refuse(refusal);
        var environment = state!;
        if (environment.State == EnvironmentState.Active) return Decision.Nothing;
        if (rewrapped.DataKeyId != environment.DataKey!.DataKeyId)
            return Decision.Refuse(Refusal.Invalid("The environment's data key changed meanwhile; try again."));

        return Emit(environment, now,
            new DataKeyRewrapped(rewrapped, environment.DataKey.Thumbprint, environment.DataKey.TenantKeyId, RewrapReason.Unlocked, null, now),
            new Unlocked(environment.TenantId, environment.Region, now));
    }

    /// <summary>L7: an environment still locked by that lock cycle is deleted with its records and backups.</summary>
    public static Decision Decide(TenantEnvironment? state, DeleteLockedEnvironment command, DateTimeOffset now)
    {
        if (state is { State: EnvironmentState.Deleted } && state.TenantId == command.TenantId) return Decision.Nothing;
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return Decision.Refuse(missing);
        var environment = state!;
        if (environment.State != EnvironmentState.Locked)
            return Decision.Refuse(Rules.L7, $"Environment '{environment.Name}' is no longer locked (it is {environment.State}); it is not deleted.");
        if (environment.LockCycleId != command.LockCycleId)
            return Decision.Refuse(Rules.L7,
                $"Environment '{environment.Name}' is locked by lock cycle '{environment.LockCycleId}', not '{command.LockCycleId}'; it is not deleted.");
        return Emit(environment, now, new EnvironmentRemoved(environment.TenantId, environment.Region,
            "L7: still locked 28 days after the lock.", command.LockCycleId, now));
    }

    // ---------------------------------------------------------------- data keys (D2, E6) and the store (T4)

    /// <summary>D2, E6: a data key is released (and the store used) only while the environment is Active.</summary>
    public static Refusal? CanUseDataKey(TenantEnvironment? state, string tenantId, string environmentId)
    {
        if (state is null || state.TenantId != tenantId) return Refusal.NotFound($"Tenant '{tenantId}' has no environment '{environmentId}'.");
        return state.State switch
        {
            EnvironmentState.Updating => new Refusal(Rules.D2,
                $"Environment '{state.Name}' is Updating (offline until its records are re-encrypted under a fresh data key); its data key is not released."),
            EnvironmentState.Locking => new Refusal(Rules.E6, $"Environment '{state.Name}' is being locked; its data key is not released to anyone."),
            EnvironmentState.Locked => new Refusal(Rules.E6, $"Environment '{state.Name}' is locked; its data key is not released to anyone, the platform included."),
            EnvironmentState.Deleted => new Refusal(Rules.D2, $"Environment '{state.Name}' is deleted; its data key is not released."),
            _ when state.DataKey is null => new Refusal(Rules.D2, $"Environment '{state.Name}' has no data key."),
            _ => null,
        };
    }

    /// <summary>T4: with the feature on for the tenant, files and images are kept only by environments of version
    /// 9.2.21052.00103 or later, and only below 128 MB each.</summary>
    public static Refusal? CanStore(TenantEnvironment state, TenantFacts? facts, RecordKind kind, long size)
    {
        if (size < 0) return Refusal.Invalid("A record cannot have a negative size.");
        if (kind == RecordKind.Data || facts?.FeatureEnabled != true) return null;
        if (!IsAtLeast(state.Version, MinimumVersionForFiles))
            return new Refusal(Rules.T4,
                $"Files and images are kept in the environment's store only from version 9.2.21052.00103 on; environment '{state.Name}' is version {state.Version}.");
        if (size >= MaxFileBytes)
            return new Refusal(Rules.T4,
                $"Files and images must be below 128 MB each; this {kind.ToString().ToLowerInvariant()} is {size.ToString(CultureInfo.InvariantCulture)} bytes.");
        return null;
    }

    public static bool IsAtLeast(string version, Version minimum) =>
        Version.TryParse(version, out var parsed) && parsed >= minimum;

    // ---------------------------------------------------------------- backups, restore, copy, reset (D5, E4, E5)

    public static Refusal? CanBackUp(TenantEnvironment? state, BackUpEnvironment command)
    {
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return missing;
        if (state!.IsLockedOrLocking) return Inaccessible(state);
        if (state.State == EnvironmentState.Updating)
            return new Refusal(Rules.E2, $"Environment '{state.Name}' is Updating (offline); back it up once it is Active.");
        return null;
    }

    /// <summary>D5: the handler copied the encrypted records and the wrapped data key into the backup.</summary>
    public static Decision Decide(TenantEnvironment? state, BackUpEnvironment command, int recordCount, bool alreadyTaken, DateTimeOffset now)
    {
        if (alreadyTaken) return Decision.Nothing;
        if (CanBackUp(state, command) is { } refusal) return Decision.Refuse(refusal);
        var key = state!.DataKey!;
        return Decision.Emit(new BackupTaken(command.BackupId, command.Label, recordCount, key.DataKeyId, key.Protection, key.Thumbprint, now));
    }

    /// <summary>E4: the target is the environment the backup came from, or another environment under the same tenant
    /// key (the key the backup's data key is wrapped by); a locked environment is neither source nor target.</summary>
    public static Refusal? CanRestore(TenantEnvironment? target, TenantEnvironment? source, EnvironmentBackup? backup,
        RestoreEnvironmentBackup command)
    {
        if (backup is null || backup.TenantId != command.TenantId)
            return Refusal.NotFound($"Tenant '{command.TenantId}' has no backup '{command.BackupId}'.");
        if (Missing(target, command.TenantId, command.TargetEnvironmentId) is { } missing) return missing;
        if (target!.IsLockedOrLocking)
            return new Refusal(Rules.E4, $"Target environment '{target.Name}' is locked; a locked environment is neither a source nor a target of a restore.");
        if (source is null || source.State == EnvironmentState.Deleted)
            return Refusal.NotFound($"The environment backup '{backup.Id}' came from no longer exists.");
        if (source.IsLockedOrLocking)
            return new Refusal(Rules.E4, $"Source environment '{source.Name}' is locked; a locked environment is neither a source nor a target of a restore.");
        if (target.State == EnvironmentState.Updating)
            return new Refusal(Rules.E2, $"Target environment '{target.Name}' is Updating (offline); restore once it is Active.");
        if (target.EnvironmentId == backup.SourceEnvironmentId) return null;
        if (backup.DataKey.Protection != EnvironmentProtection.TenantKey)
            return new Refusal(Rules.E4,
                $"Backup '{backup.Id}' was taken under the platform-managed key: it restores only to the environment it came from ('{source.Name}').");
        if (target.Protection != EnvironmentProtection.TenantKey)
            return new Refusal(Rules.E4,
                $"Target environment '{target.Name}' is under the platform-managed key; a backup restores to another environment only under the same tenant key.");
        if (target.DataKey!.Thumbprint != backup.DataKey.Thumbprint)
            return new Refusal(Rules.E4,
                $"Target environment '{target.Name}' is under another key (thumbprint {target.DataKey.Thumbprint}) than backup '{backup.Id}' (thumbprint {backup.DataKey.Thumbprint}).");
        return null;
    }

    public static Decision Decide(TenantEnvironment? target, TenantEnvironment? source, EnvironmentBackup? backup,
        RestoreEnvironmentBackup command, int recordCount, DateTimeOffset now) =>
        CanRestore(target, source, backup, command) is { } refusal
            ? Decision.Refuse(refusal)
            : Decision.Emit(new BackupRestored(backup!.Id, backup.SourceEnvironmentId, recordCount, now));

    /// <summary>E4: copy only to another environment under the same tenant key; a locked environment is neither
    /// source nor target.</summary>
    public static Refusal? CanCopy(TenantEnvironment? source, TenantEnvironment? target, CopyEnvironment command)
    {
        if (command.SourceEnvironmentId == command.TargetEnvironmentId)
            return Refusal.Invalid("An environment cannot be copied over itself.");
        if (Missing(source, command.TenantId, command.SourceEnvironmentId) is { } noSource) return noSource;
        if (Missing(target, command.TenantId, command.TargetEnvironmentId) is { } noTarget) return noTarget;
        if (source!.IsLockedOrLocking)
            return new Refusal(Rules.E4, $"Source environment '{source.Name}' is locked; a locked environment is neither a source nor a target of a copy.");
        if (target!.IsLockedOrLocking)
            return new Refusal(Rules.E4, $"Target environment '{target.Name}' is locked; a locked environment is neither a source nor a target of a copy.");
        if (source.State == EnvironmentState.Updating || target.State == EnvironmentState.Updating)
            return new Refusal(Rules.E2, "The source or the target is Updating (offline); copy once both are Active.");
        if (source.Protection != EnvironmentProtection.TenantKey)
            return new Refusal(Rules.E4,
                $"Source environment '{source.Name}' is under the platform-managed key; a copy goes only to another environment under the same tenant key.");
        if (target.Protection != EnvironmentProtection.TenantKey)
            return new Refusal(Rules.E4,
                $"Target environment '{target.Name}' is under the platform-managed key; a copy goes only to another environment under the same tenant key.");
        if (source.DataKey!.Thumbprint != target.DataKey!.Thumbprint)
            return new Refusal(Rules.E4,
                $"Target environment '{target.Name}' is under another key (thumbprint {target.DataKey.Thumbprint}) than '{source.Name}' (thumbprint {source.DataKey.Thumbprint}).");
        return null;
    }

    public static Decision Decide(TenantEnvironment? source, TenantEnvironment? target, CopyEnvironment command, int recordCount,
        DateTimeOffset now) =>
        CanCopy(source, target, command) is { } refusal
            ? Decision.Refuse(refusal)
            : Decision.Emit(new EnvironmentCopiedFrom(command.SourceEnvironmentId, recordCount, now));

    public static Refusal? CanReset(TenantEnvironment? state, ResetEnvironment command)
    {
        if (Missing(state, command.TenantId, command.EnvironmentId) is { } missing) return missing;
        if (state!.IsLockedOrLocking) return Inaccessible(state);
        if (state.State == EnvironmentState.Updating)
            return new Refusal(Rules.E2, $"Environment '{state.Name}' is Updating (offline); reset it once it is Active.");
        return null;
    }

    /// <summary>E5: the handler deletes the records and every backup in the same transaction; the environment gets a
    /// new data key under the platform key.</summary>
    public static Decision Decide(TenantEnvironment? state, ResetEnvironment command, int recordsDeleted, int backupsDeleted,
        WrappedDataKey freshKey, DateTimeOffset now)
    {
        if (CanReset(state, command) is { } refusal) return Decision.Refuse(refusal);
        if (freshKey.Protection != EnvironmentProtection.PlatformKey)
            throw new ArgumentException("E5: a reset environment returns to the platform key.", nameof(freshKey));
        return Emit(state, now, new EnvironmentReset(recordsDeleted, backupsDeleted, now), new DataKeyGenerated(freshKey, now));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>The state after <paramref name="events"/>, as Marten would rebuild it.</summary>
    public static TenantEnvironment? Fold(TenantEnvironment? state, IEnumerable<object> events)
    {
        foreach (var @event in events)
        {
            state = @event switch
            {
                EnvironmentRegistered e => TenantEnvironment.Create(e),
                DataKeyGenerated e => state!.Apply(e),
                TenantKeyApplicationStarted e => state!.Apply(e),
                TenantKeyApplied e => state!.Apply(e),
                TenantKeyApplicationFailed e => state!.Apply(e),
                DataKeyRewrapped e => state!.Apply(e),
                DataKeyRewrapFailed e => state!.Apply(e),
                DataKeyReplaced e => state!.Apply(e),
                ReturnToPlatformKeyStarted e => state!.Apply(e),
                ReturnToPlatformKeyFailed e => state!.Apply(e),
                ReturnedToPlatformKey e => state!.Apply(e),
                LockStarted e => state!.Apply(e),
                LockCompleted e => state!.Apply(e),
                Unlocked e => state!.Apply(e),
                EnvironmentRemoved e => state!.Apply(e),
                BackupTaken e => state!.Apply(e),
                BackupRestored e => state!.Apply(e),
                EnvironmentCopiedFrom e => state!.Apply(e),
                EnvironmentReset e => state!.Apply(e),
                EncryptionStatusChanged e => state!.Apply(e),
                _ => throw new ArgumentException($"Not an event of an environment stream: {@event.GetType().Name}", nameof(events)),
            };
        }
        return state;
    }

    /// <summary>The events, followed by the environment's new encryption picture when its key or state changed, for
    /// the relay to publish as <see cref="EnvironmentEncryptionChanged"/>.</summary>
    private static Decision Emit(TenantEnvironment? before, DateTimeOffset now, params object[] events)
    {
        var after = Fold(before, events)!;
        var changed = before is null || before.Protection != after.Protection || before.TenantKeyId != after.TenantKeyId
                      || before.State != after.State;
        return changed
            ? Decision.Emit([.. events, new EncryptionStatusChanged(after.TenantId, after.Region, after.EnvironmentId, after.Name,
                after.Protection, after.TenantKeyId, after.State, now)])
            : Decision.Emit(events);
    }

    private static Refusal? Missing(TenantEnvironment? state, string tenantId, string environmentId) =>
        state is null || state.TenantId != tenantId || state.State == EnvironmentState.Deleted
            ? Refusal.NotFound($"Tenant '{tenantId}' has no environment '{environmentId}'.")
            : null;

    private static Refusal Inaccessible(TenantEnvironment environment) => new(Rules.E6,
        environment.State == EnvironmentState.Locking
            ? $"Environment '{environment.Name}' is being locked; it is inaccessible to everyone."
            : $"Environment '{environment.Name}' is locked; it is inaccessible to everyone, the platform included.");

    private static Refusal RiskNotAcknowledged() =>
        new(Rules.A1, "The risk of managing the encryption key must be acknowledged (acknowledgeRisk: true).");
}
