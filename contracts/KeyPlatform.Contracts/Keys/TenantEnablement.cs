using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Keys;

/// <summary>T1: a platform operator turns the tenant key feature on for a tenant, with its licence counts.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:keys:enable-tenant-encryption:v1", false)]
[EntityName("keyplatform.keys.enable-tenant-encryption.v1")]
public sealed record EnableTenantEncryption(string TenantId, int AppPerUserLicences, int EnterpriseLicences) : ITenantCommand;

/// <summary>The feature is on for the tenant since <see cref="EnabledAt"/>; only environments created after it may
/// use a tenant key (T2).</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-encryption-enabled:v1", false)]
[EntityName("keyplatform.keys.tenant-encryption-enabled.v1")]
public sealed record TenantEncryptionEnabled(string TenantId, int QualifyingLicences, DateTimeOffset EnabledAt);
