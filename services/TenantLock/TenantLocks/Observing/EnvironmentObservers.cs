using KeyPlatform.Contracts.Environments;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.Facts;
using MassTransit;

namespace KeyPlatform.TenantLock.TenantLocks.Observing;

/// <summary>What the saga learns from EnvironmentEncryption: which environments are under the tenant key (L3), and
/// each environment locked (progress) or refused to lock (L3), unlocked (U2) or deleted (L7). The facts kept of an
/// environment (<see cref="EnvironmentFacts"/>) follow its stream's order: an event older than the last one applied (a
/// redelivery, or one overtaken by a newer one) changes nothing, so an old "under the tenant key" cannot bring a deleted
/// environment back, nor onto a lock's list (decision 0029).</summary>
public sealed class EnvironmentObservers(LockCycles cycles) :
    IConsumer<EnvironmentEncryptionChanged>, IConsumer<EnvironmentLocked>, IConsumer<EnvironmentLockRefused>, IConsumer<EnvironmentUnlocked>,
    IConsumer<EnvironmentDeleted>
{
    public Task Consume(ConsumeContext<EnvironmentEncryptionChanged> context)
    {
        var changed = context.Message;
        var source = SourceStreamVersion.Of(context);
        return cycles.ReactAsync(changed.TenantId, changed.Region, changed.EnvironmentId, BusCommandContext.From(context),
            async (session, ct) =>
            {
                if (!await session.TryApplySourceVersionAsync(nameof(EnvironmentFacts), source, ct)) return false;
                session.Store(new EnvironmentFacts
                {
                    Id = changed.EnvironmentId,
                    TenantId = changed.TenantId,
                    Region = changed.Region,
                    Protection = changed.Protection,
                    State = changed.State,
                });
                // L3: the list of environments to lock is learned from these events and can lag behind a lock request.
                return changed.Protection == EnvironmentProtection.TenantKey && changed.State is not ("Deleted" or "Locked" or "Locking");
            },
            (cycle, status, now) => TenantLockDecider.Decide(cycle, new ObserveEnvironmentUnderTenantKey(changed.EnvironmentId), status, now),
            context.CancellationToken);
    }

    public Task Consume(ConsumeContext<EnvironmentLocked> context) =>
        context.Message.LockCycleId is { } cycleId
            ? cycles.DecideAsync(cycleId, context.Message.EnvironmentId, BusCommandContext.From(context),
                (cycle, status, now) => TenantLockDecider.Decide(cycle, new ObserveEnvironmentLocked(context.Message.EnvironmentId), status, now),
                context.CancellationToken)
            : Task.CompletedTask;

    public Task Consume(ConsumeContext<EnvironmentLockRefused> context) =>
        cycles.DecideAsync(context.Message.LockCycleId, context.Message.EnvironmentId, BusCommandContext.From(context),
            (cycle, status, now) => TenantLockDecider.Decide(cycle,
                new ObserveEnvironmentLockRefused(context.Message.EnvironmentId, context.Message.Rule, context.Message.Reason), status, now),
            context.CancellationToken);

    public Task Consume(ConsumeContext<EnvironmentUnlocked> context)
    {
        var unlocked = context.Message;
        return cycles.ReactAsync(unlocked.TenantId, unlocked.Region, unlocked.EnvironmentId, BusCommandContext.From(context), null,
            (cycle, status, now) => TenantLockDecider.Decide(cycle, new ObserveEnvironmentUnlocked(unlocked.EnvironmentId), status, now),
            context.CancellationToken);
    }

    /// <summary>The deletion is a fact (behind the guard) and a decision input of the cycle (whatever the guard says: a
    /// deletion the facts already show, from a newer event of the stream, still counts on the cycle).</summary>
    public Task Consume(ConsumeContext<EnvironmentDeleted> context)
    {
        var deleted = context.Message;
        var source = SourceStreamVersion.Of(context);
        return cycles.ReactAsync(deleted.TenantId, deleted.Region, deleted.EnvironmentId, BusCommandContext.From(context),
            async (session, ct) =>
            {
                if (await session.TryApplySourceVersionAsync(nameof(EnvironmentFacts), source, ct)
                    && await session.LoadAsync<EnvironmentFacts>(deleted.EnvironmentId, ct) is { } facts)
                {
                    facts.State = "Deleted";
                    session.Store(facts);
                }
                return true;
            },
            (cycle, status, now) => TenantLockDecider.Decide(cycle, new ObserveEnvironmentDeleted(deleted.EnvironmentId), status, now),
            context.CancellationToken);
    }
}
