using KeyPlatform.Contracts.Environments;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.EnvironmentEncryption.Environments.ApplyingTenantKey;

/// <summary>A1, T2, E2: the environment goes Updating; the relay then sends this service a rewrap of its data key
/// (DataKeys/Rewrapping), which makes it Active under the tenant key.</summary>
public sealed class ApplyTenantKeyHandler(StreamCommands streams, EnvironmentReader reader) : ICommandHandler<ApplyTenantKeyToEnvironment>
{
    public async Task<CommandResult> HandleAsync(ApplyTenantKeyToEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
        return await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (state, now) => EnvironmentDecider.Decide(state, command, facts, now), cancellationToken);
    }
}

public static class ApplyTenantKeyEndpoints
{
    public sealed record ApplyRequest(bool AcknowledgeRisk);

    public static void MapApplyTenantKey(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/encryption/apply",
                (HttpContext http, string tenantId, string environmentId, ApplyRequest body) =>
                    CommandEndpoints.Dispatch(http, new ApplyTenantKeyToEnvironment(tenantId, environmentId, body.AcknowledgeRisk),
                        _ => Results.Accepted($"/v1/tenants/{tenantId}/environments/{environmentId}")))
            .Produces(StatusCodes.Status202Accepted)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("ApplyTenantKey")
            .WithSummary("A1, T2, E2: apply the tenant's active key; the environment is Updating (offline) until its data key is rewrapped");
}
