using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.KeyService.TenantKeys;

/// <summary>A key, already in the vault, to add to the tenant's ring (the handler imports or generates it first).</summary>
public sealed record AddTenantKey(string TenantId, string Region, string KeyId, string Name, string Thumbprint,
    string VaultKeyId, TenantKeySource Source, bool AcknowledgeRisk);

/// <summary>The vault's verdict on an installing key.</summary>
public sealed record CompleteKeyInstallation(string KeyId, bool ProvedInVault, string? Failure);

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
        if (string.IsNullOrWhiteSpace(name)) return Refusal.Invalid("A key name is required.");
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
        if (key.State is TenantKeyState.Active or TenantKeyState.Installing) return Decision.Nothing;
        if (key.State != TenantKeyState.Available)
            return Decision.Refuse(Rules.K7, $"Only an Available key can be activated; key '{key.Name}' is {key.State}.");
        if (ring.Installing is { } installing)
            return Decision.Refuse(Rules.K6, $"Key '{installing.Name}' is installing; at most one key may be installing or active.");
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

    /// <summary>S4: when the next activation is allowed, and when a lock is (L2).</summary>
    public static DateTimeOffset? NextActivationAllowedAt(TenantKeyRing ring, TenantKeyRules rules) =>
        ring.LastActivatedAt + rules.ActivationCooldown;

    public static DateTimeOffset? LockAllowedAt(TenantKeyRing ring, TenantKeyRules rules) =>
        ring.LastActivatedAt + rules.NoLockAfterKeyChange;

    private static Refusal RiskNotAcknowledged() =>
        new(Rules.A1, "The risk of managing the encryption key must be acknowledged (acknowledgeRisk: true).");
}
