using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Deadlines;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.Facts;
using KeyPlatform.TenantLock.TenantLocks.Deadlines;
using Marten;

namespace KeyPlatform.TenantLock.TenantLocks.Locking;

/// <summary>L1: lock the tenant's region, proving possession of the active key and typing the confirmation back.
/// HTTPS only (it carries the key file and its password).</summary>
public sealed record RequestTenantLock(string TenantId, string Region, KeyFileUpload Key, string ConfirmationText, bool AcknowledgeRisk)
    : ITenantCommand;

public sealed record LockAccepted(string LockCycleId);

public sealed class RequestTenantLockHandler(StreamCommands streams, IDocumentStore store, KeyPossession possession, TenantLockRules rules)
    : ICommandHandler<RequestTenantLock>
{
    public async Task<CommandResult> HandleAsync(RequestTenantLock command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        var (unproved, thumbprint) = await possession.ThumbprintAsync(command.Key, command.Region, Rules.L1, cancellationToken);
        if (unproved is not null) return CommandResult.Refused(unproved);

        LockIndex index;
        TenantLockCycle? previous;
        ActiveKeyFacts? keys;
        await using (var query = store.QuerySession())
        {
            index = await query.LoadAsync<LockIndex>(ActiveKeyFactsDocument.KeyFor(command.TenantId, command.Region), cancellationToken)
                    ?? new LockIndex { Id = ActiveKeyFactsDocument.KeyFor(command.TenantId, command.Region) };
            previous = index.CurrentCycleId is { } id ? await query.LoadAsync<TenantLockCycle>(id, cancellationToken) : null;
            keys = await query.ActiveKeyAsync(command.TenantId, command.Region, cancellationToken);
        }

        // The next cycle's stream key is deterministic: two requests racing for it collide on the stream, and the
        // retry sees the other's cycle open (L5).
        var cycleId = TenantLockCycle.StreamKey(command.TenantId, command.Region, index.Cycles + 1);
        var request = new RequestLock(command.TenantId, command.Region, cycleId, thumbprint!, command.ConfirmationText,
            command.AcknowledgeRisk, context.Actor.Subject);
        var result = await streams.DecideAsync<TenantLockCycle>(cycleId, context,
            (existing, now) => TenantLockDecider.Decide(existing ?? previous, request, keys, rules, now), cancellationToken,
            afterDecision: (session, decision, now) =>
            {
                if (decision.Events.OfType<LockRequested>().SingleOrDefault() is not { } requested) return;
                session.Store(new LockIndex { Id = index.Id, Cycles = index.Cycles + 1, CurrentCycleId = cycleId });
                LockDeadlines.Schedule(session, requested, rules, now);
            });
        return result.IsRefused ? result : CommandResult.Accepted(new LockAccepted(cycleId));
    }
}

/// <summary>L5: ask again for the environments a lock has not locked yet.</summary>
public sealed record ResumeTenantLock(string TenantId, string Region) : ITenantCommand;

public sealed class ResumeTenantLockHandler(LockCycles cycles, IDocumentStore store) : ICommandHandler<ResumeTenantLock>
{
    public async Task<CommandResult> HandleAsync(ResumeTenantLock command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdminOrOperator(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        await using var query = store.QuerySession();
        var cycle = await query.CurrentCycleAsync(command.TenantId, command.Region, cancellationToken);
        if (cycle is null) return CommandResult.Refused(Refusal.NotFound("There is no lock to resume."));
        return await cycles.DecideAsync(cycle.Id, LockCycleEnvironmentStatus.Asked, context,
            (state, notYetLocked, now) => TenantLockDecider.Decide(state, new ResumeLock(), notYetLocked, now), cancellationToken);
    }
}
