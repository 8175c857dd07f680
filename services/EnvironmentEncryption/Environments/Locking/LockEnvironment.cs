using KeyPlatform.Contracts.Messaging;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.EnvironmentEncryption.Environments.Locking;

/// <summary>
/// E6, L3: sent by the tenant-lock saga (over the bus only, with the principal who asked for the lock or the saga's
/// own identity; there is no HTTP way to lock one environment, the saga checks L1 and L2 first). Two
/// steps, each its own transaction: <c>LockStarted</c> (from here on nothing is released, by any instance, since every
/// release reads the state), then the cached plaintext key is dropped, then <c>LockCompleted</c>, which the relay
/// publishes as <see cref="EnvironmentLocked"/>. A redelivery after a crash between the steps finishes the second one.
/// </summary>
public sealed class LockEnvironmentHandler(StreamCommands streams, DataKeyCache cache) : ICommandHandler<LockEnvironment>
{
    public async Task<CommandResult> HandleAsync(LockEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeService(Sender.TenantLock) is { } denied) return CommandResult.Refused(denied);
        if (Identifiers.CheckText(command.LockCycleId, "The lock cycle id") is { } invalid) return CommandResult.Refused(invalid);
        var key = TenantEnvironment.StreamKey(command.EnvironmentId);

        var started = await streams.DecideAsync<TenantEnvironment>(key, context,
            (state, now) => EnvironmentDecider.Decide(state, command, now), cancellationToken, handler: "lock-environment:start");
        if (started.IsRefused) return started;

        cache.Evict(command.EnvironmentId);

        return await streams.DecideAsync<TenantEnvironment>(key, context,
            (state, now) => EnvironmentDecider.DecideLockCompletion(state, now), cancellationToken, handler: "lock-environment:complete");
    }
}

/// <summary>L3: a refused lock is the saga's to decide on (an environment no longer under the tenant key leaves its list).</summary>
public sealed class LockEnvironmentRefusals : ICommandRefusalEvent<LockEnvironment>
{
    public object Create(LockEnvironment command, Refusal refusal, DateTimeOffset refusedAt) =>
        new EnvironmentLockRefused(command.TenantId, command.Region, command.EnvironmentId, command.LockCycleId, refusal.Rule, refusal.Reason,
            refusedAt);
}

/// <summary>L7, sent by the tenant-lock saga: an environment still locked 28 days after the lock is deleted with its
/// records and backups; the relay publishes <see cref="EnvironmentDeleted"/>.</summary>
public sealed class DeleteLockedEnvironmentHandler(StreamCommands streams, DataKeyCache cache) : ICommandHandler<DeleteLockedEnvironment>
{
    public async Task<CommandResult> HandleAsync(DeleteLockedEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeService(Sender.TenantLock) is { } denied) return CommandResult.Refused(denied);
        return await EnvironmentErasure.DecideAndEraseAsync(streams, cache, command.EnvironmentId, context,
            (state, now) => EnvironmentDecider.Decide(state, command, now), cancellationToken);
    }
}
