using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.Facts;
using Marten;
using MassTransit;

namespace KeyPlatform.TenantLock.TenantLocks.Observing;

/// <summary>What the saga learns from KeyService: the active key (facts for L1, L2; U1 done or failed) and the ring's lock.
/// The active key kept (<see cref="ActiveKeyFactsDocument"/>) follows the ring stream's order: an activation older than the
/// last one applied changes nothing, and ends no unlock (decision 0029).</summary>
public sealed class KeyServiceObservers(IDocumentStore store, LockCycles cycles) :
    IConsumer<TenantKeyActivated>, IConsumer<TenantKeyInstallationFailed>, IConsumer<TenantKeyLockStarted>, IConsumer<TenantKeyLockRefused>,
    IConsumer<TenantKeysLocked>
{
    public Task Consume(ConsumeContext<TenantKeyActivated> context)
    {
        var activated = context.Message;
        var source = SourceStreamVersion.Of(context);
        return cycles.ReactAsync(activated.TenantId, activated.Region, BusCommandContext.From(context),
            async (session, ct) =>
            {
                if (!await session.TryApplySourceVersionAsync(nameof(ActiveKeyFactsDocument), source, ct)) return false;
                var key = ActiveKeyFactsDocument.KeyFor(activated.TenantId, activated.Region);
                var facts = await session.LoadAsync<ActiveKeyFactsDocument>(key, ct);
                if (facts is null || facts.LastKeyChangeAt <= activated.ActivatedAt)
                    session.Store(new ActiveKeyFactsDocument { Id = key, Thumbprint = activated.Thumbprint, LastKeyChangeAt = activated.ActivatedAt });
                return true;
            },
            (state, now) => TenantLockDecider.Decide(state, new ObserveKeyActivated(activated.Thumbprint), now), context.CancellationToken);
    }

    /// <summary>U1: a failed install of the locking key is the open cycle's to report; the admin can unlock again.</summary>
    public Task Consume(ConsumeContext<TenantKeyInstallationFailed> context)
    {
        var failed = context.Message;
        return cycles.ReactAsync(failed.TenantId, failed.Region, BusCommandContext.From(context), null,
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
