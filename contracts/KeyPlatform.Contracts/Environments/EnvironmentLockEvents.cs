using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>An environment of the tenant is locked (E6): KeyService counts these for K10, K11 and U3.</summary>
[MessageUrn("urn:keyplatform:environments:environment-locked:v1", false)]
[EntityName("keyplatform.environments.environment-locked.v1")]
public sealed record EnvironmentLocked(string TenantId, string Region, string EnvironmentId, DateTimeOffset LockedAt);

[MessageUrn("urn:keyplatform:environments:environment-unlocked:v1", false)]
[EntityName("keyplatform.environments.environment-unlocked.v1")]
public sealed record EnvironmentUnlocked(string TenantId, string Region, string EnvironmentId, DateTimeOffset UnlockedAt);

[MessageUrn("urn:keyplatform:environments:environment-deleted:v1", false)]
[EntityName("keyplatform.environments.environment-deleted.v1")]
public sealed record EnvironmentDeleted(string TenantId, string Region, string EnvironmentId, DateTimeOffset DeletedAt);
