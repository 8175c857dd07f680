using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>Runs a saga decision on an existing cycle's stream (a message about an unknown cycle changes nothing).</summary>
public sealed class LockCycles(StreamCommands streams)
{
    public Task<CommandResult> DecideAsync(string lockCycleId, CommandContext context,
        Func<TenantLockCycle, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        streams.DecideAsync<TenantLockCycle>(lockCycleId, context,
            (cycle, now) => cycle is null ? Decision.Nothing : decide(cycle, now), cancellationToken);
}
