using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Backups.Copying;

/// <summary>E4: the source's records replace the target's, when the target is another environment under the same
/// tenant key and neither is locked.</summary>
public sealed class CopyEnvironmentHandler(StreamCommands streams, IDocumentStore store, EnvironmentReader reader, RecordTransfer transfer)
    : ICommandHandler<CopyEnvironment>
{
    public async Task<CommandResult> HandleAsync(CopyEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if ((context.Actor.MustAdministerEnvironment(command.TenantId, command.SourceEnvironmentId)
             ?? context.Actor.MustAdministerEnvironment(command.TenantId, command.TargetEnvironmentId)) is { } denied)
            return CommandResult.Refused(denied);
        var source = await reader.EnvironmentAsync(command.SourceEnvironmentId, cancellationToken);
        var target = await reader.EnvironmentAsync(command.TargetEnvironmentId, cancellationToken);
        if (EnvironmentDecider.CanCopy(source, target, command) is { } refusal) return CommandResult.Refused(refusal);

        List<EnvironmentRecord> sourceRecords;
        await using (var query = store.QuerySession())
            sourceRecords = (await query.Query<EnvironmentRecord>().Where(r => r.EnvironmentId == command.SourceEnvironmentId)
                .ToListAsync(cancellationToken)).Where(r => r.DataKeyId == source!.DataKey!.DataKeyId).ToList();

        var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
        var (failed, records) = await transfer.ReencryptAsync(source!.DataKey!, source.Region, source.EnvironmentId,
            sourceRecords.Select(BackedUpRecord.From).ToList(), target!, facts, streams.Time.GetUtcNow(), cancellationToken);
        if (failed is not null) return CommandResult.Refused(failed);

        return await RecordTransfer.ReplaceRecordsAsync(streams, context, target!, records!,
            (current, now) => EnvironmentDecider.Decide(source, current, command, records!.Count, now), cancellationToken);
    }
}

public static class CopyEndpoints
{
    public sealed record CopyRequest(string? TargetEnvironmentId);

    public static void MapCopy(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/copy",
                (HttpContext http, string tenantId, string environmentId, CopyRequest body) =>
                    CommandEndpoints.Dispatch(http, new CopyEnvironment(tenantId, environmentId, body.TargetEnvironmentId ?? ""), _ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("CopyEnvironment")
            .WithSummary("E4: copy this environment's records over another environment under the same tenant key");
}
