using KeyPlatform.Contracts.Messaging;
using MassTransit;

namespace KeyPlatform.Contracts.Keys;

/// <summary>The states of K6.</summary>
public enum TenantKeyState
{
    Available,
    Installing,
    Active,
    Failed,
    Locked,
    Deleted,
}

/// <summary>How a key came to the tenant (K3, K4).</summary>
public enum TenantKeySource
{
    Generated,
    UploadedPfx,
    UploadedByok,
}

[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-key-added:v1", false)]
[EntityName("keyplatform.keys.tenant-key-added.v1")]
public sealed record TenantKeyAdded(string TenantId, string Region, string KeyId, string Name, string Thumbprint,
    TenantKeySource Source, DateTimeOffset AddedAt);

[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-key-installing:v1", false)]
[EntityName("keyplatform.keys.tenant-key-installing.v1")]
public sealed record TenantKeyInstalling(string TenantId, string Region, string KeyId, DateTimeOffset StartedAt);

/// <summary>The key is the tenant's active key of the region; <see cref="VaultKeyId"/> is what environment data keys
/// are wrapped with from now on (K8). The previous active key, if any, is <c>Available</c> again.</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-key-activated:v1", false)]
[EntityName("keyplatform.keys.tenant-key-activated.v1")]
public sealed record TenantKeyActivated(string TenantId, string Region, string KeyId, string VaultKeyId, string Thumbprint,
    string? PreviousKeyId, DateTimeOffset ActivatedAt);

[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:tenant-key-installation-failed:v1", false)]
[EntityName("keyplatform.keys.tenant-key-installation-failed.v1")]
public sealed record TenantKeyInstallationFailed(string TenantId, string Region, string KeyId, string Reason, DateTimeOffset FailedAt);
