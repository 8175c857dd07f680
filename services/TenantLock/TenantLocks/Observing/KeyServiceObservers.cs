using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.TenantLock.Facts;
using Marten;
using MassTransit;

namespace KeyPlatform.TenantLock.TenantLocks.Observing;

/// <summary>What the saga learns from KeyService: the active key (facts for L1, L2; U1 done or failed) and the ring's lock.</summary>
public sealed class KeyServiceObservers(IDocumentStore store, LockCycles cycles) :
    IConsumer<TenantKeyActivated>, IConsumer<TenantKeyInstallationFailed>, IConsumer<TenantKeyLockStarted>, IConsumer<TenantKeyLockRefused>,
    IConsumer<TenantKeysLocked>
{
    public async Task Consume(ConsumeContext<TenantKeyActivated> context)
    {
        var activated = context.Message;
        await using (var session = store.LightweightSession())
        {
            var key = ActiveKeyFactsDocument.KeyFor(activated.TenantId, activated.Region);
            var facts = await session.LoadAsync<ActiveKeyFactsDocument>(key, context.CancellationToken);
            if (facts is null || facts.LastKeyChangeAt <= activated.ActivatedAt)
            {
                session.Store(new ActiveKeyFactsDocument { Id = key, Thumbprint = activated.Thumbprint, LastKeyChangeAt = activated.ActivatedAt });
                await session.SaveChangesAsync(context.CancellationToken);
            }
        }
        await using var query = store.QuerySession();
        if (await query.CurrentCycleAsync(activated.TenantId, activated.Region, context.CancellationToken) is { IsOpen: true } cycle)
            await cycles.DecideAsync(cycle.Id, BusCommandContext.From(context),
                (state, now) => TenantLockDecider.Decide(state, new ObserveKeyActivated(activated.Thumbprint), now), context.CancellationToken);
    }

    /// <summary>U1: a failed install of the locking key is the open cycle's to report; the admin can unlock again.</summary>
    public async Task Consume(ConsumeContext<TenantKeyInstallationFailed> context)
    {
        var failed = context.Message;
        await using var query = store.QuerySession();
        if (await query.CurrentCycleAsync(failed.TenantId, failed.Region, context.CancellationToken) is { IsOpen: true } cycle)
            await cycles.DecideAsync(cycle.Id, BusCommandContext.From(context),
                (state, now) => TenantLockDecider.Decide(state, new ObserveKeyInstallationFailed(failed.KeyId, failed.Reason), now),
                context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<TenantKeyLockStarted> context)
    {
        var started = context.Message;
        IReadOnlyList<string> environments;
        await using (var query = store.QuerySession())
            environments = await query.EnvironmentsUnderTenantKeyAsync(started.TenantId, started.Region, context.CancellationToken);
        await cycles.DecideAsync(started.LockCycleId, LockCycleEnvironmentStatus.Asked, BusCommandContext.From(context),
            (cycle, noted, now) => TenantLockDecider.Decide(cycle, new ObserveKeyRingLockStarted(), environments, noted, now),
            context.CancellationToken);
    }

    public Task Consume(ConsumeContext<TenantKeyLockRefused> context) =>
        cycles.DecideAsync(context.Message.LockCycleId, BusCommandContext.From(context),
            (cycle, now) => TenantLockDecider.Decide(cycle,
                new ObserveKeyRingLockRefused(context.Message.Rule, context.Message.Reason, context.Message.AllowedAt), now),
            context.CancellationToken);

    public Task Consume(ConsumeContext<TenantKeysLocked> context) =>
        cycles.DecideAsync(context.Message.LockCycleId, BusCommandContext.From(context),
            (cycle, now) => TenantLockDecider.Decide(cycle, new ObserveKeysDeleted(context.Message.LockedKeyId, context.Message.KeysDeleted), now),
            context.CancellationToken);
}
