using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.EnvironmentEncryption.Environments.ApplyingTenantKey;

/// <summary>A1, T2, E2: the environment goes Updating (offline, so its plaintext data key leaves the cache); the relay then
/// sends this service <c>CompleteTenantKeyApplication</c> (DataKeys/Rewrapping), which gives it a fresh data key under the
/// tenant key, re-encrypts its records and makes it Active (V3).</summary>
public sealed class ApplyTenantKeyHandler(StreamCommands streams, EnvironmentReader reader, DataKeyCache cache)
    : ICommandHandler<ApplyTenantKeyToEnvironment>
{
    public async Task<CommandResult> HandleAsync(ApplyTenantKeyToEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
        var result = await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (state, now) => EnvironmentDecider.Decide(state, command, facts, now), cancellationToken);
        cache.Evict(command.EnvironmentId);
        return result;
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
            .WithSummary("A1, T2, E2, V3: apply the tenant's active key; the environment is Updating (offline) until its records are re-encrypted under a fresh data key wrapped by that key");
}
