using KeyPlatform.Contracts.TenantLocks;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using MassTransit;

namespace KeyPlatform.KeyService.TenantKeys.Locking;

/// <summary>U3: the saga closed a lock cycle; if the ring is still locked by it (every environment was deleted before the
/// key was unlocked), the ring's lock ends with it.</summary>
public sealed class TenantLockCycleClosedConsumer(StreamCommands streams) : IConsumer<TenantLockCycleClosed>
{
    public Task Consume(ConsumeContext<TenantLockCycleClosed> context) =>
        streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(context.Message.TenantId, context.Message.Region),
            BusCommandContext.From(context), (ring, now) => TenantKeyDecider.Decide(ring, new EndKeyRingLock(context.Message.LockCycleId), now),
            context.CancellationToken);
}
