using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;

namespace KeyPlatform.EnvironmentEncryption.Environments.ReturningToPlatformKey;

/// <summary>A1, E3: the data key is unwrapped with the tenant key and wrapped by the platform key of the region, then
/// the environment is under the platform key again. It stays online: the data key itself does not change.</summary>
public sealed class ReturnToPlatformKeyHandler(StreamCommands streams, EnvironmentReader reader, DataKeyVault dataKeys)
    : ICommandHandler<ReturnEnvironmentToPlatformKey>
{
    public async Task<CommandResult> HandleAsync(ReturnEnvironmentToPlatformKey command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        var state = await reader.EnvironmentAsync(command.EnvironmentId, cancellationToken);
        if (EnvironmentDecider.CanReturn(state, command) is { } refusal) return CommandResult.Refused(refusal);
        if (state!.Protection == EnvironmentProtection.PlatformKey) return CommandResult.Accepted();

        WrappedDataKey platformWrapped;
        try
        {
            var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
            var platform = await dataKeys.PlatformKeyAsync(state.Region, cancellationToken);
            platformWrapped = await dataKeys.RewrapAsync(state.DataKey!, platform, state.TenantId, facts, state.Region, streams.Time.GetUtcNow(),
                cancellationToken);
        }
        catch (VaultKeyNotFoundException)
        {
            return CommandResult.Refused(new Refusal(KeyPlatform.Contracts.Rules.D4,
                $"The tenant key that protects environment '{state.Name}' is not in the vault; its data key cannot be returned to the platform key."));
        }
        catch (VaultKeyOwnershipException)
        {
            return CommandResult.Refused(new Refusal(KeyPlatform.Contracts.Rules.K1,
                $"The vault key named for environment '{state.Name}' is not a key of its tenant and region; nothing was changed."));
        }

        return await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (current, now) => EnvironmentDecider.Decide(current, command, platformWrapped, now), cancellationToken);
    }
}

public static class ReturnToPlatformKeyEndpoints
{
    /// <summary>The confirmation is the environment's name typed back, so it is held to the name's length.</summary>
    public sealed record ReturnRequest(bool AcknowledgeRisk, [StringLength(EnvironmentNames.MaxLength)] string? ConfirmationName);

    public static void MapReturnToPlatformKey(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/encryption/return",
                (HttpContext http, string tenantId, string environmentId, ReturnRequest body) =>
                    CommandEndpoints.Dispatch(http,
                        new ReturnEnvironmentToPlatformKey(tenantId, environmentId, body.ConfirmationName, body.AcknowledgeRisk),
                        _ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("ReturnToPlatformKey")
            .WithSummary("A1, E3: return the environment to the platform-managed key (production: type its name as confirmation)");
}
