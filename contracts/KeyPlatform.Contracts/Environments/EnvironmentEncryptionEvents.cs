using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>Which key protects an environment's data key.</summary>
public enum EnvironmentProtection
{
    PlatformKey,
    TenantKey,
}

/// <summary>Published whenever an environment's protection or encryption state changes, with its full current
/// picture, so subscribers (the tenant-lock saga's list of environments under the tenant key, dashboards) keep a
/// projection without knowing every domain event. <see cref="State"/> is the environment's state name
/// (e.g. Active, Updating, Locked, Deleted).</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:environment-encryption-changed:v1", false)]
[EntityName("keyplatform.environments.environment-encryption-changed.v1")]
public sealed record EnvironmentEncryptionChanged(string TenantId, string Region, string EnvironmentId, string Name,
    EnvironmentProtection Protection, string? TenantKeyId, string State, DateTimeOffset ChangedAt);
