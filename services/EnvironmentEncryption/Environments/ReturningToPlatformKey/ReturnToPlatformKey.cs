using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.EnvironmentEncryption.Environments.ReturningToPlatformKey;

/// <summary>A1, E3: the environment goes Updating (offline, so its plaintext data key leaves the cache); the relay then sends
/// this service <c>CompleteReturnToPlatformKey</c> (DataKeys/Rewrapping), which gives it a fresh data key under the platform
/// key, re-encrypts its records and makes it Active. V3: the data key that protected data under the tenant key is never
/// wrapped by the platform key (see docs/decisions/0014).</summary>
public sealed class ReturnToPlatformKeyHandler(StreamCommands streams, DataKeyCache cache, EnvironmentReader reader)
    : ICommandHandler<ReturnEnvironmentToPlatformKey>
{
    public async Task<CommandResult> HandleAsync(ReturnEnvironmentToPlatformKey command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
        var result = await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (state, now) => EnvironmentDecider.Decide(state, command, now, facts), cancellationToken);
        cache.Evict(command.EnvironmentId);
        return result;
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
                        _ => Results.Accepted($"/v1/tenants/{tenantId}/environments/{environmentId}")))
            .Produces(StatusCodes.Status202Accepted)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("ReturnToPlatformKey")
            .WithSummary("A1, E3, V3: return the environment to the platform-managed key (production: type its name as confirmation); it is Updating (offline) until its records are re-encrypted under a fresh data key wrapped by the platform key");
}
