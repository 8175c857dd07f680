using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.KeyService.TenantKeys;

/// <summary>A key, already in the vault, to add to the tenant's ring (the handler imports or generates it first).</summary>
public sealed record AddTenantKey(string TenantId, string Region, string KeyId, string Name, string Thumbprint,
    string VaultKeyId, TenantKeySource Source, bool AcknowledgeRisk);

/// <summary>The vault's verdict on an installing key.</summary>
public sealed record CompleteKeyInstallation(string KeyId, bool ProvedInVault, string? Failure);

/// <summary>The vault no longer holds the keys of a locking ring.</summary>
public sealed record CompleteKeyRingLock(string LockCycleId);

/// <summary>U3: the saga's lock cycle closed (every environment it locked was unlocked or deleted).</summary>
public sealed record EndKeyRingLock(string LockCycleId);

/// <summary>K7: the key to activate is the Active one already; nothing starts, and the caller is told so.</summary>
public sealed record TenantKeyAlreadyActive(string KeyId, string Name, TenantKeyState State, DateTimeOffset? ActivatedAt);

/// <summary>Every rule of the tenant key lifecycle, as pure functions of (state, command, facts, now).</summary>
public static class TenantKeyDecider
{
    /// <summary>Checked before anything is put in the vault, and again when the key is added.</summary>
    public static Refusal? CanAddKey(TenantKeyRing? ring, TenantKeyFacts facts, string name, string? thumbprint, bool acknowledgeRisk)
    {
        if (!acknowledgeRisk) return RiskNotAcknowledged();
        if (!facts.TenantEnabled)
            return new Refusal(Rules.T1, "The tenant key feature is not turned on for this tenant.");
        if (facts.LockedEnvironments > 0)
            return new Refusal(Rules.K11,
                $"No key can be generated or uploaded while the tenant has locked environments ({facts.LockedEnvironments} locked).");
        if (ring?.Lock is { } ringLock)
            return new Refusal(Rules.K11, $"No key can be generated or uploaded while the tenant is locked (lock {ringLock.LockCycleId}).");
        if (TenantKeyNames.Check(name) is { } badName) return badName;
        var keys = ring?.Keys.Where(k => k.State != TenantKeyState.Deleted).ToList() ?? [];
        if (keys.Any(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)))
            return Refusal.Invalid($"The tenant already has a key named '{name}' in this region.");
        if (thumbprint is not null && keys.FirstOrDefault(k => k.Thumbprint == thumbprint) is { } same)
            return Refusal.Invalid($"This key was already added as '{same.Name}'.");
        return null;
    }

    /// <summary>K3/K4, with K5: the first key ever of a tenant and region starts installing at once.</summary>
    public static Decision Decide(TenantKeyRing? ring, AddTenantKey command, TenantKeyFacts facts, DateTimeOffset now)
    {
        if (ring?.Find(command.KeyId) is not null) return Decision.Nothing;
        if (CanAddKey(ring, facts, command.Name, command.Thumbprint, command.AcknowledgeRisk) is { } refusal)
            return Decision.Refuse(refusal);

        var added = new KeyAdded(command.TenantId, command.Region, command.KeyId, command.Name, command.Thumbprint,
            command.VaultKeyId, command.Source, now);
        return ring is null
            ? Decision.Emit(added, new KeyInstallationStarted(command.KeyId, now))
            : Decision.Emit(added);
    }

    /// <summary>K6, K7, K9, K10.</summary>
    public static Decision Decide(TenantKeyRing? ring, ActivateTenantKey command, TenantKeyFacts facts, TenantKeyRules rules,
        DateTimeOffset now)
    {
        if (!command.AcknowledgeRisk) return Decision.Refuse(RiskNotAcknowledged());
        if (ring?.Find(command.KeyId) is not { } key)
            return Decision.Refuse(Refusal.NotFound($"The tenant has no key '{command.KeyId}' in region '{command.Region}'."));
        if (key.State is TenantKeyState.Active) return Decision.Satisfied(new TenantKeyAlreadyActive(key.KeyId, key.Name, key.State, key.ActivatedAt));
        if (key.State is TenantKeyState.Installing) return Decision.Nothing; // its activation is under way
        if (key.State != TenantKeyState.Available)
            return Decision.Refuse(Rules.K7, $"Only an Available key can be activated; key '{key.Name}' is {key.State}.");
        if (ring.Installing is { } installing)
            return Decision.Refuse(Rules.K6, $"Key '{installing.Name}' is installing; at most one key may be installing or active.");
        if (ring.Lock is { } ringLock)
            return Decision.Refuse(Rules.K10, $"The active key cannot be changed while the tenant is locked (lock {ringLock.LockCycleId}).");
        if (facts.LockedEnvironments > 0)
            return Decision.Refuse(Rules.K10,
                $"The active key cannot be changed while the tenant has locked environments ({facts.LockedEnvironments} locked).");
        if (ring.LastActivatedAt is { } last && last + rules.ActivationCooldown > now)
            return Decision.Refuse(Rules.K9,
                $"A key was activated at {last:O}; no other key can be activated for {rules.ActivationCooldown.TotalHours:0} hours.",
                allowedAt: last + rules.ActivationCooldown);

        return Decision.Emit(new KeyInstallationStarted(key.KeyId, now));
    }

    /// <summary>K7: an installing key the vault has proved becomes Active, replacing the previous one; otherwise Failed.</summary>
    public static Decision Decide(TenantKeyRing? ring, CompleteKeyInstallation command, DateTimeOffset now)
    {
        if (ring?.Find(command.KeyId) is not { State: TenantKeyState.Installing } key) return Decision.Nothing;
        return command.ProvedInVault
            ? Decision.Emit(new KeyActivated(key.KeyId, key.VaultKeyId, key.Thumbprint, ring.Active?.KeyId, now))
            : Decision.Emit(new KeyInstallationFailed(key.KeyId, command.Failure ?? "The vault could not use the key.", now));
    }

    /// <summary>L1, L2, L4: lock the ring with its Active key, proved by thumbprint; not within the L2 window after the
    /// last key change, nor while a key is installing. Every Active, Available and Failed key is to be deleted.</summary>
    public static Decision Decide(TenantKeyRing? ring, LockTenantKeys command, TenantKeyRules rules, DateTimeOffset now)
    {
        if (ring?.Lock is { } current)
            return current.LockCycleId == command.LockCycleId
                ? Decision.Nothing
                : Decision.Refuse(Rules.L5, $"The tenant's keys are already locked by lock {current.LockCycleId}.");
        if (ring?.Active is not { } active)
            return Decision.Refuse(Rules.L1, "The tenant has no Active key in this region to lock with.");
        if (ring.Installing is { } installing)
            return Decision.Refuse(Rules.L2, $"Key '{installing.Name}' is being installed; the tenant cannot be locked while its key changes.");
        if (!string.Equals(active.Thumbprint, command.Thumbprint, StringComparison.OrdinalIgnoreCase))
            return Decision.Refuse(Rules.L1, "The key offered is not the tenant's Active key.");
        if (LockAllowedAt(ring, rules) is { } allowedAt && allowedAt > now)
            return Decision.Refuse(Rules.L2,
                $"The active key changed at {ring.LastActivatedAt:O}; no lock for {rules.NoLockAfterKeyChange.TotalHours:0} hours after a key change.",
                allowedAt);

        // A Failed key is still in the vault (installing it failed, storing it did not): it goes too, so no key material
        // of the tenant outlives the lock.
        var toDelete = ring.Keys.Where(k => k.State is TenantKeyState.Active or TenantKeyState.Available or TenantKeyState.Failed)
            .Select(k => k.KeyId).ToList();
        return Decision.Emit(new KeyRingLockStarted(command.LockCycleId, active.KeyId, toDelete, now));
    }

    /// <summary>L4: once the vault no longer holds them, the locking key is Locked and every other one Deleted.</summary>
    public static Decision Decide(TenantKeyRing? ring, CompleteKeyRingLock command, DateTimeOffset now) =>
        ring?.Lock is { LockedAt: null } locking && locking.LockCycleId == command.LockCycleId
            ? Decision.Emit(new KeyRingLocked(locking.LockCycleId, locking.LockingKeyId, ring.Find(locking.LockingKeyId)!.Thumbprint,
                locking.KeyIds.Where(id => id != locking.LockingKeyId).ToList(), now))
            : Decision.Nothing;

    /// <summary>U1, L5: only the key that locked (same thumbprint), only once the lock finished; it installs again.</summary>
    public static Decision Decide(TenantKeyRing? ring, ReinstateTenantKey command, DateTimeOffset now)
    {
        if (ring?.Lock is not { } ringLock || ringLock.LockCycleId != command.LockCycleId)
            return ring?.Keys.Any(k => k.Thumbprint == command.Thumbprint && k.State is TenantKeyState.Installing or TenantKeyState.Active) == true
                ? Decision.Nothing
                : Decision.Refuse(Rules.U1, $"The tenant's keys are not locked by lock {command.LockCycleId}.");
        if (ringLock.LockedAt is null)
            return Decision.Refuse(Rules.L5, "The lock is still running; the key can be unlocked once it has finished.");
        var locked = ring.Find(ringLock.LockingKeyId)!;
        if (!string.Equals(locked.Thumbprint, command.Thumbprint, StringComparison.OrdinalIgnoreCase))
            return Decision.Refuse(Rules.U1, "Only the key that was used to lock can unlock; this key has another thumbprint.");
        return Decision.Emit(new KeyReinstated(locked.KeyId, command.VaultKeyId, ringLock.LockCycleId, now),
            new KeyInstallationStarted(locked.KeyId, now));
    }

    /// <summary>U3: once the cycle that locked the ring closed, K10 and K11 no longer hold. A cycle that closed after U1 finds the
    /// ring's lock gone already; one that closed while the ring was still locked (L7 deleted every environment) ends it.</summary>
    public static Decision Decide(TenantKeyRing? ring, EndKeyRingLock command, DateTimeOffset now) =>
        ring?.Lock is { LockedAt: not null } ringLock && ringLock.LockCycleId == command.LockCycleId
            ? Decision.Emit(new KeyRingLockEnded(ringLock.LockCycleId, ringLock.LockingKeyId, now))
            : Decision.Nothing;

    /// <summary>S4: when the next activation is allowed, and when a lock is (L2).</summary>
    public static DateTimeOffset? NextActivationAllowedAt(TenantKeyRing ring, TenantKeyRules rules) =>
        ring.LastActivatedAt + rules.ActivationCooldown;

    public static DateTimeOffset? LockAllowedAt(TenantKeyRing ring, TenantKeyRules rules) =>
        ring.LastActivatedAt + rules.NoLockAfterKeyChange;

    private static Refusal RiskNotAcknowledged() =>
        new(Rules.A1, "The risk of managing the encryption key must be acknowledged (acknowledgeRisk: true).");
}
