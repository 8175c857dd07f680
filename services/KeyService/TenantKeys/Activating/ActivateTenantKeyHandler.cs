using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.KeyService.TenantKeys.Activating;

/// <summary>K6, K7, K9, K10: an Available key starts installing; <see cref="Installing"/> finishes the job.</summary>
public sealed class ActivateTenantKeyHandler(StreamCommands streams, TenantKeyFactsReader facts, TenantKeyRules rules)
    : ICommandHandler<ActivateTenantKey>
{
    public async Task<CommandResult> HandleAsync(ActivateTenantKey command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        var known = await facts.ReadAsync(command.TenantId, command.Region, cancellationToken);
        return await streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(command.TenantId, command.Region), context,
            (ring, now) => TenantKeyDecider.Decide(ring, command, known, rules, now), cancellationToken);
    }
}
