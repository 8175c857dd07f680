using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Backups.Restoring;

/// <summary>E4, D5: a backup replaces the target's records, when the target is the environment it came from or another
/// environment under the same tenant key, and neither is locked. Its records are decrypted with the backup's data key
/// (unwrapped by the key it was taken under) and encrypted again under the target's data key.</summary>
public sealed class RestoreEnvironmentBackupHandler(StreamCommands streams, IDocumentStore store, EnvironmentReader reader, RecordTransfer transfer)
    : ICommandHandler<RestoreEnvironmentBackup>
{
    public async Task<CommandResult> HandleAsync(RestoreEnvironmentBackup command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.TargetEnvironmentId) is { } denied) return CommandResult.Refused(denied);
        if (Identifiers.Check(command.BackupId, "The backup id") is { } invalid) return CommandResult.Refused(invalid);
        EnvironmentBackup? backup;
        await using (var query = store.QuerySession())
            backup = await query.LoadAsync<EnvironmentBackup>(command.BackupId, cancellationToken);
        var target = await reader.EnvironmentAsync(command.TargetEnvironmentId, cancellationToken);
        var source = backup is null ? null : await reader.EnvironmentAsync(backup.SourceEnvironmentId, cancellationToken);
        if (EnvironmentDecider.CanRestore(target, source, backup, command) is { } refusal) return CommandResult.Refused(refusal);
        if (context.Actor.MustAdministerEnvironment(command.TenantId, backup!.SourceEnvironmentId) is { } notSource) return CommandResult.Refused(notSource);

        var facts = await reader.FactsAsync(command.TenantId, cancellationToken);
        var (failed, records) = await transfer.ReencryptAsync(backup.DataKey, backup.Region, backup.SourceEnvironmentId, backup.Records,
            target!, facts, streams.Time.GetUtcNow(), cancellationToken);
        if (failed is not null) return CommandResult.Refused(failed);

        return await RecordTransfer.ReplaceRecordsAsync(streams, context, target!, records!,
            (current, now) => EnvironmentDecider.Decide(current, current.EnvironmentId == backup.SourceEnvironmentId ? current : source, backup,
                command, records!.Count, now), cancellationToken);
    }
}

public static class RestoreEndpoints
{
    public sealed record RestoreRequest(
        [Required, StringLength(Identifiers.MaxLength, MinimumLength = 1), RegularExpression(Identifiers.Pattern)] string? BackupId);

    public static void MapRestore(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/restore",
                (HttpContext http, string tenantId, string environmentId, RestoreRequest body) =>
                    CommandEndpoints.Dispatch(http, new RestoreEnvironmentBackup(tenantId, body.BackupId ?? "", environmentId), _ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("RestoreBackup")
            .WithSummary("E4, D5: restore a backup over this environment (its own, or one of another environment under the same tenant key)");
}
