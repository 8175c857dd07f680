using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.KeyService.Tenants.Enabling;

public sealed class EnableTenantEncryptionHandler(StreamCommands streams) : ICommandHandler<EnableTenantEncryption>
{
    public Task<CommandResult> HandleAsync(EnableTenantEncryption command, CommandContext context, CancellationToken cancellationToken) =>
        context.Actor.MustBeOperatorOf(command.TenantId) is { } refusal
            ? Task.FromResult(CommandResult.Refused(refusal))
            : streams.DecideAsync<TenantEnablement>(TenantEnablement.StreamKey(command.TenantId), context,
                (state, now) => TenantEnablementDecider.Decide(state, command, now), cancellationToken);
}
