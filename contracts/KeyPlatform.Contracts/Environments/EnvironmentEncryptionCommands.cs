using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>E2: put the environment under the tenant's active key of its region. Allowed when the tenant has an
/// <c>Active</c> key and the environment is eligible (T2); A1: the manage-key risk must be acknowledged. The
/// environment is <c>Updating</c> (offline, its data key is not released) until its data key is rewrapped, then
/// <c>Active</c> under the tenant key. Tenant admins or the environment's admins.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:apply-tenant-key-to-environment:v1", false)]
[EntityName("keyplatform.environments.apply-tenant-key-to-environment.v1")]
public sealed record ApplyTenantKeyToEnvironment(string TenantId, string EnvironmentId, bool AcknowledgeRisk) : ITenantCommand;

/// <summary>E3: put the environment back under the platform-managed key. A production environment also needs its
/// name typed as <see cref="ConfirmationName"/>. A1: the manage-key risk must be acknowledged.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:return-environment-to-platform-key:v1", false)]
[EntityName("keyplatform.environments.return-environment-to-platform-key.v1")]
public sealed record ReturnEnvironmentToPlatformKey(string TenantId, string EnvironmentId, string? ConfirmationName, bool AcknowledgeRisk)
    : ITenantCommand;

/// <summary>U2: the environment's admin unlocks a locked environment once the tenant key is <c>Active</c> again
/// (activated after the lock). Its data key is rewrapped with the active key and may be released again; answered by
/// <see cref="EnvironmentUnlocked"/>.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:unlock-environment:v1", false)]
[EntityName("keyplatform.environments.unlock-environment.v1")]
public sealed record UnlockEnvironment(string TenantId, string EnvironmentId) : ITenantCommand;
