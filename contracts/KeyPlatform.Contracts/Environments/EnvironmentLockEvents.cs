using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>An environment of the tenant is locked (E6). KeyService counts these for K10, K11 and U3; the
/// tenant-lock saga counts them for its progress (S4). <see cref="LockCycleId"/> names the saga's lock cycle.</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:environment-locked:v1", false)]
[EntityName("keyplatform.environments.environment-locked.v1")]
public sealed record EnvironmentLocked(string TenantId, string Region, string EnvironmentId, DateTimeOffset LockedAt,
    string? LockCycleId = null);

/// <summary>L3: EnvironmentEncryption refused to lock the environment for <see cref="LockCycleId"/> (published beside
/// <c>CommandRefused</c>): with rule L3 it is no longer under the tenant key (its admin returned it to the platform key, or
/// applying the key failed), and the saga's lock goes on without it.</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:environment-lock-refused:v1", false)]
[EntityName("keyplatform.environments.environment-lock-refused.v1")]
public sealed record EnvironmentLockRefused(string TenantId, string Region, string EnvironmentId, string LockCycleId, string Rule,
    string Reason, DateTimeOffset RefusedAt);

/// <summary>U2: the environment's admin unlocked it; its data key may be released again.</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:environment-unlocked:v1", false)]
[EntityName("keyplatform.environments.environment-unlocked.v1")]
public sealed record EnvironmentUnlocked(string TenantId, string Region, string EnvironmentId, DateTimeOffset UnlockedAt);

/// <summary>The environment is gone (deregistered by the platform, or L7: still locked 28 days after the lock).</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:environment-deleted:v1", false)]
[EntityName("keyplatform.environments.environment-deleted.v1")]
public sealed record EnvironmentDeleted(string TenantId, string Region, string EnvironmentId, DateTimeOffset DeletedAt,
    string Reason = "");
