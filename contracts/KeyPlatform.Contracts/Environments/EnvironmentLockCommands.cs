using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>L3, sent by the tenant-lock saga for each active environment under the tenant key: lock it (E6: its data
/// key is no longer released and its cached plaintext data key is dropped). Answered by <see cref="EnvironmentLocked"/>;
/// locking an environment that is already locked changes nothing and publishes nothing new.</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:environments:lock-environment:v1", false)]
[EntityName("keyplatform.environments.lock-environment.v1")]
public sealed record LockEnvironment(string TenantId, string Region, string EnvironmentId, string LockCycleId) : ITenantCommand;

/// <summary>L7, sent by the tenant-lock saga when an environment is still locked 28 days after the lock: delete its
/// data and backups. Answered by <see cref="EnvironmentDeleted"/>. Refused when the environment is no longer locked.</summary>
[SentBy(Sender.TenantLock)]
[MessageUrn("urn:keyplatform:environments:delete-locked-environment:v1", false)]
[EntityName("keyplatform.environments.delete-locked-environment.v1")]
public sealed record DeleteLockedEnvironment(string TenantId, string Region, string EnvironmentId, string LockCycleId) : ITenantCommand;
