using JasperFx.Events;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.KeyService.TenantKeys.Installing;
using KeyPlatform.KeyService.TenantKeys.Locking;
using KeyPlatform.KeyService.Tenants;
using KeyPlatform.ServiceDefaults.Messaging;

namespace KeyPlatform.KeyService.Messaging;

/// <summary>Which KeyService domain events leave the service, and as which contracts (S2). The install step is
/// KeyService sending itself a command through the same relay, so a crash never loses it.</summary>
public sealed class KeyServiceIntegrationEvents : IIntegrationEventMap
{
    public IEnumerable<OutgoingMessage> Map(IEvent @event)
    {
        if (@event.Data is TenantEnabled enabled)
            return [OutgoingMessage.Publish(new TenantEncryptionEnabled(enabled.TenantId, enabled.QualifyingLicences, enabled.EnabledAt))];
        if (!@event.StreamKey!.StartsWith("tenant-key:", StringComparison.Ordinal)) return [];

        var (tenant, region) = TenantKeyRing.ParseStreamKey(@event.StreamKey);
        return @event.Data switch
        {
            KeyAdded e => [OutgoingMessage.Publish(new TenantKeyAdded(tenant, region, e.KeyId, e.Name, e.Thumbprint, e.Source, e.AddedAt))],
            KeyInstallationStarted e =>
            [
                OutgoingMessage.Publish(new TenantKeyInstalling(tenant, region, e.KeyId, e.StartedAt)),
                OutgoingMessage.Send(new InstallTenantKey(tenant, region, e.KeyId), Queues.KeyService),
            ],
            KeyActivated e => [OutgoingMessage.Publish(new TenantKeyActivated(tenant, region, e.KeyId, e.VaultKeyId, e.Thumbprint,
                e.PreviousKeyId, e.ActivatedAt))],
            KeyRingLockStarted e =>
            [
                OutgoingMessage.Publish(new TenantKeyLockStarted(tenant, region, e.LockCycleId, e.LockingKeyId, e.KeyIds.Count, e.StartedAt)),
                OutgoingMessage.Send(new DeleteLockedKeys(tenant, region, e.LockCycleId), Queues.KeyService),
            ],
            KeyRingLocked e => [OutgoingMessage.Publish(new TenantKeysLocked(tenant, region, e.LockCycleId, e.LockedKeyId,
                e.LockedThumbprint, e.DeletedKeyIds.Count + 1, e.LockedAt))],
            KeyInstallationFailed e => [OutgoingMessage.Publish(new TenantKeyInstallationFailed(tenant, region, e.KeyId, e.Reason, e.FailedAt))],
            _ => [],
        };
    }
}
