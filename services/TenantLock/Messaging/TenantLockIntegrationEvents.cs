using JasperFx.Events;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.Contracts.TenantLocks;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.TenantLock.TenantLocks;

namespace KeyPlatform.TenantLock.Messaging;

/// <summary>The saga's outgoing commands and published events leave through the relay, after its events commit: a
/// crash of the saga's host never loses one, and a redelivery is deduplicated by the receivers.</summary>
public sealed class TenantLockIntegrationEvents : IIntegrationEventMap
{
    public IEnumerable<OutgoingMessage> Map(IEvent @event)
    {
        if (!@event.StreamKey!.StartsWith("tenant-lock:", StringComparison.Ordinal)) return [];
        var cycle = @event.StreamKey;
        var (tenant, region) = TenantLockCycle.ParseStreamKey(cycle);
        return @event.Data switch
        {
            LockRequested e =>
            [
                OutgoingMessage.Send(new LockTenantKeys(tenant, region, cycle, e.Thumbprint), Queues.KeyService),
                OutgoingMessage.Publish(new TenantLockStarted(tenant, region, cycle, e.RequestedBy, e.RequestedAt, e.DeletionDueAt)),
            ],
            EnvironmentLocksRequested e => e.EnvironmentIds
                .Select(id => OutgoingMessage.Send(new LockEnvironment(tenant, region, id, cycle), Queues.EnvironmentEncryption)),
            LockRefused e => [OutgoingMessage.Publish(new TenantLockRefused(tenant, region, cycle, e.Rule, e.Reason, e.RefusedAt))],
            LockCompleted e => [OutgoingMessage.Publish(new TenantLockCompleted(tenant, region, cycle, e.EnvironmentsLocked, e.KeysDeleted, e.CompletedAt))],
            LockTimedOut e => [OutgoingMessage.Publish(new TenantLockTimedOut(tenant, region, cycle, e.EnvironmentsNotLocked, e.KeysDeleted, e.TimedOutAt))],
            KeyUnlockRequested e => [OutgoingMessage.Send(new ReinstateTenantKey(tenant, region, cycle, e.Thumbprint, e.VaultKeyId), Queues.KeyService)],
            DeletionWarningIssued e => [OutgoingMessage.Publish(new LockedEnvironmentsDeletionWarning(tenant, region, cycle, e.EnvironmentIds,
                e.DeletionDueAt, e.DaysLeft, e.WarnedAt))],
            LockedEnvironmentDeletionRequested e => e.EnvironmentIds
                .Select(id => OutgoingMessage.Send(new DeleteLockedEnvironment(tenant, region, id, cycle), Queues.EnvironmentEncryption)),
            LockCycleClosed e => [OutgoingMessage.Publish(new TenantLockCycleClosed(tenant, region, cycle, e.EnvironmentsUnlocked,
                e.EnvironmentsDeleted, e.ClosedAt))],
            _ => [],
        };
    }
}
