using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Keys;

/// <summary>K7: activate an <c>Available</c> key of the tenant and region. A1: the risk must be acknowledged.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:keys:activate-tenant-key:v1", false)]
[EntityName("keyplatform.keys.activate-tenant-key.v1")]
public sealed record ActivateTenantKey(string TenantId, string Region, string KeyId, bool AcknowledgeRisk) : ITenantCommand;

/// <summary>K4 over the bus: a <c>.byok</c> file, wrapped for this platform's key-exchange key of the region, so it
/// can travel through a queue. A <c>.pfx</c> and its password are accepted over HTTPS only (they would rest in
/// queues and error queues); see docs/decisions.</summary>
[SentBy(Sender.PlatformService)]
[MessageUrn("urn:keyplatform:keys:upload-tenant-key-byok:v1", false)]
[EntityName("keyplatform.keys.upload-tenant-key-byok.v1")]
public sealed record UploadTenantKeyByok(string TenantId, string Region, string KeyName, byte[] ByokFile, bool AcknowledgeRisk)
    : ITenantCommand;
