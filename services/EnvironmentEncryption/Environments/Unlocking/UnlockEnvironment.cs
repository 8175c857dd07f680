using System.Security.Cryptography;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;
using KeyPlatform.ServiceDefaults.Protection;

namespace KeyPlatform.EnvironmentEncryption.Environments.Unlocking;

/// <summary>
/// U2: the environment's admin unlocks it once the tenant key is Active again. The data key was wrapped by the key
/// used to lock, whose vault entry the lock deleted (L4); the re-imported key has the same thumbprint and a new vault
/// id, which KeyService's activation told us. The data key is unwrapped with it (proving the key really opens it) and
/// wrapped again under its current vault id, before the environment is Active (D4: readable again).
/// </summary>
public sealed class UnlockEnvironmentHandler(StreamCommands streams, EnvironmentReader reader, DataKeyVault dataKeys)
    : ICommandHandler<UnlockEnvironment>
{
    public async Task<CommandResult> HandleAsync(UnlockEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        var state = await reader.EnvironmentAsync(command.EnvironmentId, cancellationToken);
        var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
        if (EnvironmentDecider.CanUnlock(state, command, facts) is { } refusal) return CommandResult.Refused(refusal);
        if (state!.State == EnvironmentState.Active) return CommandResult.Accepted();

        WrappedDataKey rewrapped;
        try
        {
            var active = facts!.ActiveKey(state.Region)!;
            rewrapped = await dataKeys.RewrapAsync(state.DataKey!, WrappingKey.ForTenant(state.TenantId, active), state.TenantId, facts, state.Region,
                streams.Time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e) when (e is VaultKeyNotFoundException or VaultKeyOwnershipException or CryptographicException)
        {
            return CommandResult.Refused(new Refusal(Rules.U2,
                $"Environment '{state.Name}' stays locked: its data key cannot be unwrapped with the tenant's active key."));
        }

        return await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (current, now) => EnvironmentDecider.Decide(current, command, facts, rewrapped, now), cancellationToken);
    }
}

public static class UnlockEnvironmentEndpoints
{
    public static void MapUnlockEnvironment(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/unlock", (HttpContext http, string tenantId, string environmentId) =>
                CommandEndpoints.Dispatch(http, new UnlockEnvironment(tenantId, environmentId), _ => Results.NoContent()))
            .RequireAbuseLimit(AbuseLimits.Lock)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("UnlockEnvironment")
            .WithSummary("U2: unlock a locked environment once the tenant key is Active again (its admin)");
}
