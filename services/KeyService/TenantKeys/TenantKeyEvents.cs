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
