using KeyPlatform.Contracts.Environments;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.TenantLock.Facts;
using Marten;
using MassTransit;

namespace KeyPlatform.TenantLock.TenantLocks.Observing;

/// <summary>What the saga learns from EnvironmentEncryption: which environments are under the tenant key (L3), and
/// each environment locked (progress) or refused to lock (L3), unlocked (U2) or deleted (L7).</summary>
public sealed class EnvironmentObservers(IDocumentStore store, LockCycles cycles) :
    IConsumer<EnvironmentEncryptionChanged>, IConsumer<EnvironmentLocked>, IConsumer<EnvironmentLockRefused>, IConsumer<EnvironmentUnlocked>,
    IConsumer<EnvironmentDeleted>
{
    public async Task Consume(ConsumeContext<EnvironmentEncryptionChanged> context)
    {
        var changed = context.Message;
        await using var session = store.LightweightSession();
        session.Store(new EnvironmentFacts
        {
            Id = changed.EnvironmentId,
            TenantId = changed.TenantId,
            Region = changed.Region,
            Protection = changed.Protection,
            State = changed.State,
        });
        await session.SaveChangesAsync(context.CancellationToken);

        // L3: the list of environments to lock is learned from these events and can lag behind a lock request.
        if (changed.Protection == EnvironmentProtection.TenantKey && changed.State is not ("Deleted" or "Locked" or "Locking")
            && await CurrentCycleIdAsync(changed.TenantId, changed.Region, context.CancellationToken) is { } cycleId)
            await cycles.DecideAsync(cycleId, changed.EnvironmentId, BusCommandContext.From(context),
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

    public async Task Consume(ConsumeContext<EnvironmentUnlocked> context)
    {
        var unlocked = context.Message;
        if (await CurrentCycleIdAsync(unlocked.TenantId, unlocked.Region, context.CancellationToken) is { } cycleId)
            await cycles.DecideAsync(cycleId, unlocked.EnvironmentId, BusCommandContext.From(context),
                (cycle, status, now) => TenantLockDecider.Decide(cycle, new ObserveEnvironmentUnlocked(unlocked.EnvironmentId), status, now),
                context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<EnvironmentDeleted> context)
    {
        var deleted = context.Message;
        await using (var session = store.LightweightSession())
        {
            if (await session.LoadAsync<EnvironmentFacts>(deleted.EnvironmentId, context.CancellationToken) is { } facts)
            {
                facts.State = "Deleted";
                session.Store(facts);
                await session.SaveChangesAsync(context.CancellationToken);
            }
        }
        if (await CurrentCycleIdAsync(deleted.TenantId, deleted.Region, context.CancellationToken) is { } cycleId)
            await cycles.DecideAsync(cycleId, deleted.EnvironmentId, BusCommandContext.From(context),
                (cycle, status, now) => TenantLockDecider.Decide(cycle, new ObserveEnvironmentDeleted(deleted.EnvironmentId), status, now),
                context.CancellationToken);
    }

    private async Task<string?> CurrentCycleIdAsync(string tenantId, string region, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        return (await query.CurrentCycleAsync(tenantId, region, ct)) is { IsOpen: true } cycle ? cycle.Id : null;
    }
}
