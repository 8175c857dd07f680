using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Environments;

/// <summary>D5: back up the environment: its encrypted records with its wrapped data key, under
/// <see cref="BackupId"/> (chosen by the caller, so a repeat changes nothing). A locked environment is refused (E6).</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:back-up-environment:v1", false)]
[EntityName("keyplatform.environments.back-up-environment.v1")]
public sealed record BackUpEnvironment(string TenantId, string EnvironmentId, string BackupId, string Label = "") : ITenantCommand;

/// <summary>E4: restore a backup over <see cref="TargetEnvironmentId"/>: the environment the backup came from, or
/// another environment under the same tenant key. A locked environment is neither a source nor a target.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:restore-environment-backup:v1", false)]
[EntityName("keyplatform.environments.restore-environment-backup.v1")]
public sealed record RestoreEnvironmentBackup(string TenantId, string BackupId, string TargetEnvironmentId) : ITenantCommand;

/// <summary>E4: copy the records of <see cref="SourceEnvironmentId"/> over another environment under the same tenant
/// key. A locked environment is neither a source nor a target.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:copy-environment:v1", false)]
[EntityName("keyplatform.environments.copy-environment.v1")]
public sealed record CopyEnvironment(string TenantId, string SourceEnvironmentId, string TargetEnvironmentId) : ITenantCommand;

/// <summary>E5: delete the environment's encrypted records and all its backups, and return it to the platform-managed
/// key with a new data key.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:environments:reset-environment:v1", false)]
[EntityName("keyplatform.environments.reset-environment.v1")]
public sealed record ResetEnvironment(string TenantId, string EnvironmentId) : ITenantCommand;
