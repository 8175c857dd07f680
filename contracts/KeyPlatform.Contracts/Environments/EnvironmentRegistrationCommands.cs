using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>What an environment is for. E3: returning a <see cref="Production"/> environment to the
/// platform-managed key requires its name typed as confirmation.</summary>
public enum EnvironmentType
{
    Production,
    Sandbox,
    Trial,
    Developer,
    Default,
    SupportInvestigation,
}

/// <summary>Where an environment keeps its files and logs. T2: <see cref="Mixed"/> environments (files and logs
/// outside the single relational store) can never use a tenant key.</summary>
public enum EnvironmentStorage
{
    SingleStore,
    Mixed,
}

/// <summary>A platform service registers an environment it created (platform operators only). The environment
/// starts under the platform-managed key of its region (E1) with a new AES-256 data key (D1). Registering the same
/// environment again changes nothing. <see cref="Version"/> is the environment's version (T4), e.g. 9.2.21052.00103;
/// <see cref="CreatedAt"/> is when the environment was created (T2 compares it with the tenant's enablement).</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:register-environment:v1", false)]
[EntityName("keyplatform.environments.register-environment.v1")]
public sealed record RegisterEnvironment(string TenantId, string Region, string EnvironmentId, string Name, EnvironmentType Type,
    EnvironmentStorage Storage, string Version, DateTimeOffset CreatedAt) : ITenantCommand;

/// <summary>A platform service deleted an environment (platform operators only): its records and backups are deleted
/// and <see cref="EnvironmentDeleted"/> is published. Deleting a deleted environment changes nothing.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:delete-environment:v1", false)]
[EntityName("keyplatform.environments.delete-environment.v1")]
public sealed record DeleteEnvironment(string TenantId, string EnvironmentId, string Reason = "") : ITenantCommand;
