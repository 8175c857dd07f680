using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Keys;

/// <summary>L1, L4, sent by the tenant-lock saga once the admin proved possession of the active key: lock the tenant
/// key ring of the region. KeyService re-checks the thumbprint against its Active key and L2, then deletes every
/// Active and Available key from the vault and keeps the active one as <c>Locked</c> (its thumbprint only).</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:keys:lock-tenant-keys:v1", false)]
[EntityName("keyplatform.keys.lock-tenant-keys.v1")]
public sealed record LockTenantKeys(string TenantId, string Region, string LockCycleId, string Thumbprint) : ITenantCommand;

/// <summary>U1, sent by the tenant-lock saga once the admin re-uploaded the locking key (same thumbprint) and the
/// saga put it back in the vault as <see cref="VaultKeyId"/>: the Locked key goes Installing, then Active.</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:keys:reinstate-tenant-key:v1", false)]
[EntityName("keyplatform.keys.reinstate-tenant-key.v1")]
public sealed record ReinstateTenantKey(string TenantId, string Region, string LockCycleId, string Thumbprint, string VaultKeyId)
    : ITenantCommand;

/// <summary>The ring is locking: no key can be added or activated any more; the keys are being deleted.</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-key-lock-started:v1", false)]
[EntityName("keyplatform.keys.tenant-key-lock-started.v1")]
public sealed record TenantKeyLockStarted(string TenantId, string Region, string LockCycleId, string LockingKeyId,
    int KeysToDelete, DateTimeOffset StartedAt);

/// <summary>L4 done: every Active and Available key is gone from the vault; <see cref="LockedKeyId"/> is kept as its
/// thumbprint only, in state Locked.</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-keys-locked:v1", false)]
[EntityName("keyplatform.keys.tenant-keys-locked.v1")]
public sealed record TenantKeysLocked(string TenantId, string Region, string LockCycleId, string LockedKeyId, string Thumbprint,
    int KeysDeleted, DateTimeOffset LockedAt);

/// <summary>KeyService refused to lock (the active key changed since the request, L2, or nothing to lock).</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-key-lock-refused:v1", false)]
[EntityName("keyplatform.keys.tenant-key-lock-refused.v1")]
public sealed record TenantKeyLockRefused(string TenantId, string Region, string LockCycleId, string Rule, string Reason,
    DateTimeOffset? AllowedAt, DateTimeOffset RefusedAt);
