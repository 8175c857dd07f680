using JasperFx.Events;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.ServiceDefaults.Messaging;

namespace KeyPlatform.EnvironmentEncryption.Messaging;

/// <summary>Which domain events leave the service, and as which contracts (S2). Rewraps are this service sending
/// itself commands through the same relay, so a crash never loses one (K8, E2, E3).</summary>
public sealed class EnvironmentEncryptionIntegrationEvents(EnvironmentRules rules) : IIntegrationEventMap
{
    public IEnumerable<OutgoingMessage> Map(IEvent @event)
    {
        if (RewrapRun.IsRewrapStream(@event.StreamKey) && @event.Data is RewrapStarted started) return Batches(started);
        if (!TenantEnvironment.IsEnvironmentStream(@event.StreamKey)) return [];

        var environmentId = TenantEnvironment.EnvironmentIdOf(@event.StreamKey!);
        return @event.Data switch
        {
            EncryptionStatusChanged e =>
            [
                OutgoingMessage.Publish(new EnvironmentEncryptionChanged(e.TenantId, e.Region, e.EnvironmentId, e.Name, e.Protection,
                    e.TenantKeyId, e.State.ToString(), e.ChangedAt)),
            ],
            LockCompleted e => [OutgoingMessage.Publish(new EnvironmentLocked(e.TenantId, e.Region, environmentId, e.LockedAt, e.LockCycleId))],
            Unlocked e => [OutgoingMessage.Publish(new EnvironmentUnlocked(e.TenantId, e.Region, environmentId, e.UnlockedAt))],
            EnvironmentRemoved e => [OutgoingMessage.Publish(new EnvironmentDeleted(e.TenantId, e.Region, environmentId, e.RemovedAt, e.Reason))],
            TenantKeyApplicationStarted e =>
            [
                OutgoingMessage.Send(new CompleteTenantKeyApplication(e.TenantId, e.Region, environmentId), Queues.EnvironmentEncryption),
            ],
            ReturnToPlatformKeyStarted e =>
            [
                OutgoingMessage.Send(new CompleteReturnToPlatformKey(e.TenantId, e.Region, environmentId), Queues.EnvironmentEncryption),
            ],
            _ => [],
        };
    }

    private IEnumerable<OutgoingMessage> Batches(RewrapStarted started) =>
        started.EnvironmentIds.Chunk(Math.Max(1, rules.RewrapBatchSize)).Select((ids, index) => OutgoingMessage.Send(
            new RewrapEnvironmentDataKeys(started.TenantId, started.Region, started.RewrapId, started.TargetKeyId, index, ids),
            Queues.EnvironmentEncryption));
}
