using KeyPlatform.Contracts.Messaging;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Identifiers;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;
using MassTransit;

namespace KeyPlatform.KeyService.TenantKeys.Locking;

/// <summary>KeyService to itself, through the relay, once a lock started: take the ring's keys out of the vault.</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:delete-locked-keys:v1", false)]
[EntityName("keyplatform.keys.delete-locked-keys.v1")]
public sealed record DeleteLockedKeys(string TenantId, string Region, string LockCycleId);

/// <summary>L1, L2, L4: the saga asks to lock the ring; the decider re-checks the key and the waiting period, so
/// an admin activating a key at the same moment and this lock cannot both succeed.</summary>
public sealed class LockTenantKeysHandler(StreamCommands streams, TenantKeyRules rules) : ICommandHandler<LockTenantKeys>
{
    public async Task<CommandResult> HandleAsync(LockTenantKeys command, CommandContext context, CancellationToken cancellationToken) =>
        context.Actor.MustBeService(Sender.TenantLock) is { } denied
            ? CommandResult.Refused(denied)
            : await streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(command.TenantId, command.Region), context,
                (ring, now) => TenantKeyDecider.Decide(ring, command, rules, now), cancellationToken);
}

/// <summary>Answers the saga either way: the lock starts (an event of the ring, relayed) or
/// <see cref="TenantKeyLockRefused"/> with the rule. The ids are checked (X3) as for every bus command.</summary>
public sealed class LockTenantKeysConsumer(ICommandHandler<LockTenantKeys> handler, PlatformIds ids, TimeProvider time) : IConsumer<LockTenantKeys>
{
    public async Task Consume(ConsumeContext<LockTenantKeys> context)
    {
        var command = context.Message;
        var result = ids.Check(command) is { } notCanonical
            ? CommandResult.Refused(notCanonical)
            : await handler.HandleAsync(command, BusCommandContext.From(context), context.CancellationToken);
        if (result.Refusal is { } refusal)
            await context.Publish(new TenantKeyLockRefused(command.TenantId, command.Region, command.LockCycleId, refusal.Rule,
                refusal.Reason, refusal.AllowedAt, time.GetUtcNow()));
    }
}

/// <summary>L4: deletes every key of the locking ring from the vault (a repeated delete is harmless), then records
/// the ring as locked. A crash in between deletes again on redelivery.</summary>
public sealed class DeleteLockedKeysConsumer(StreamCommands streams, TenantKeyFactsReader facts, IKeyVault vault)
    : IConsumer<DeleteLockedKeys>
{
    public async Task Consume(ConsumeContext<DeleteLockedKeys> context)
    {
        var message = context.Message;
        var ring = await facts.RingAsync(message.TenantId, message.Region, context.CancellationToken);
        if (ring?.Lock is not { LockedAt: null } locking || locking.LockCycleId != message.LockCycleId) return;

        foreach (var keyId in locking.KeyIds)
            await vault.DeleteAsync(ring.Find(keyId)!.VaultKeyId, context.CancellationToken);

        await streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(message.TenantId, message.Region),
            BusCommandContext.From(context), (state, now) => TenantKeyDecider.Decide(state, new CompleteKeyRingLock(message.LockCycleId), now),
            context.CancellationToken);
    }
}

/// <summary>U1: the saga put the re-uploaded locking key back in the vault; the ring takes it back and installs it.</summary>
public sealed class ReinstateTenantKeyHandler(StreamCommands streams) : ICommandHandler<ReinstateTenantKey>
{
    public async Task<CommandResult> HandleAsync(ReinstateTenantKey command, CommandContext context, CancellationToken cancellationToken) =>
        context.Actor.MustBeService(Sender.TenantLock) is { } denied
            ? CommandResult.Refused(denied)
            : await streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(command.TenantId, command.Region), context,
                (ring, now) => TenantKeyDecider.Decide(ring, command, now), cancellationToken);
}
