using KeyPlatform.Contracts.Keys;

namespace KeyPlatform.KeyService.TenantKeys;

// The events of a TenantKey stream (one per tenant and region), a closed set. Times are the decider's "now", so
// waiting periods follow TimeProvider, not the database clock.

/// <summary>K3/K4: a key is in the vault and belongs to the tenant and region (no key material here, only the
/// public-key thumbprint and the vault's id).</summary>
public sealed record KeyAdded(string TenantId, string Region, string KeyId, string Name, string Thumbprint,
    string VaultKeyId, TenantKeySource Source, DateTimeOffset AddedAt);

/// <summary>K5/K7: the key goes <c>Installing</c>.</summary>
public sealed record KeyInstallationStarted(string KeyId, DateTimeOffset StartedAt);

/// <summary>K7: the key is <c>Active</c>; the one it replaces is <c>Available</c> again.</summary>
public sealed record KeyActivated(string KeyId, string VaultKeyId, string Thumbprint, string? PreviousKeyId, DateTimeOffset ActivatedAt);

/// <summary>K6: installing failed (the vault could not prove the key); the key is <c>Failed</c>.</summary>
public sealed record KeyInstallationFailed(string KeyId, string Reason, DateTimeOffset FailedAt);

/// <summary>L4 begins: the ring is locking for <paramref name="LockCycleId"/>; <paramref name="KeyIds"/> (every Active,
/// Available and Failed key, the locking one included; a Failed key is in the vault too) are to be deleted from the vault. No key can be added or activated.</summary>
public sealed record KeyRingLockStarted(string LockCycleId, string LockingKeyId, IReadOnlyList<string> KeyIds, DateTimeOffset StartedAt);

/// <summary>L4 done: the keys are gone from the vault; the locking key is Locked (thumbprint only), the others Deleted.</summary>
public sealed record KeyRingLocked(string LockCycleId, string LockedKeyId, string LockedThumbprint, IReadOnlyList<string> DeletedKeyIds,
    DateTimeOffset LockedAt);

/// <summary>U1: the locking key is back in the vault as <paramref name="VaultKeyId"/>; it installs next.</summary>
public sealed record KeyReinstated(string KeyId, string VaultKeyId, string LockCycleId, DateTimeOffset ReinstatedAt);

/// <summary>U3: the lock cycle closed while the ring was still locked (every environment it locked was deleted, L7): the
/// ring's lock ends, so K10 and K11 no longer hold, and the locking key, never reinstated, is <c>Deleted</c> (it left the
/// vault with the lock; its file can be uploaded again as a new key).</summary>
public sealed record KeyRingLockEnded(string LockCycleId, string LockingKeyId, DateTimeOffset EndedAt);
