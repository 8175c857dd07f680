using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Backups.Resetting;

/// <summary>E5: the environment's records and every backup of it are deleted, in the same transaction as the
/// <c>EnvironmentReset</c> event, and it returns to the platform key with a new data key (the old one, and anything
/// it encrypted, is gone).</summary>
public sealed class ResetEnvironmentHandler(StreamCommands streams, IDocumentStore store, EnvironmentReader reader, DataKeyVault dataKeys,
    DataKeyCache cache) : ICommandHandler<ResetEnvironment>
{
    public async Task<CommandResult> HandleAsync(ResetEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        var state = await reader.EnvironmentAsync(command.EnvironmentId, cancellationToken);
        if (EnvironmentDecider.CanReset(state, command) is { } refusal) return CommandResult.Refused(refusal);

        int records, backups;
        await using (var query = store.QuerySession())
        {
            records = await query.Query<EnvironmentRecord>().CountAsync(r => r.EnvironmentId == command.EnvironmentId, cancellationToken);
            backups = await query.Query<EnvironmentBackup>().CountAsync(b => b.SourceEnvironmentId == command.EnvironmentId, cancellationToken);
        }
        var fresh = await dataKeys.GenerateAsync(state!.Region, streams.Time.GetUtcNow(), cancellationToken);

        return await EnvironmentErasure.DecideAndEraseAsync(streams, cache, command.EnvironmentId, context,
            (current, now) => EnvironmentDecider.Decide(current, command, records, backups, fresh, now), cancellationToken);
    }
}

public static class ResetEndpoints
{
    public static void MapReset(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/reset", (HttpContext http, string tenantId, string environmentId) =>
                CommandEndpoints.Dispatch(http, new ResetEnvironment(tenantId, environmentId), _ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ResetEnvironment")
            .WithSummary("E5: delete the environment's records and all its backups; it returns to the platform key with a new data key");
}
