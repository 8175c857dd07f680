using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Backups.BackingUp;

/// <summary>D5: a backup copies the environment's encrypted records and its wrapped data key, in the same transaction
/// as the <c>BackupTaken</c> event. E6: a locked environment is not backed up.</summary>
public sealed class BackUpEnvironmentHandler(StreamCommands streams, IDocumentStore store) : ICommandHandler<BackUpEnvironment>
{
    public async Task<CommandResult> HandleAsync(BackUpEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustAdministerEnvironment(command.TenantId, command.EnvironmentId) is { } denied) return CommandResult.Refused(denied);
        if ((Identifiers.Check(command.BackupId, "The backup id") ?? BackupLabels.Check(command.Label)) is { } invalid)
            return CommandResult.Refused(invalid);

        List<EnvironmentRecord> records;
        await using (var query = store.QuerySession())
        {
            if (await query.LoadAsync<EnvironmentBackup>(command.BackupId, cancellationToken) is { } existing)
                return existing.TenantId == command.TenantId && existing.SourceEnvironmentId == command.EnvironmentId
                    ? CommandResult.Accepted(new BackupCreated(existing.Id))
                    : CommandResult.Refused(Refusal.Invalid($"Backup id '{command.BackupId}' is already taken."));
            records = (await query.Query<EnvironmentRecord>().Where(r => r.EnvironmentId == command.EnvironmentId)
                .ToListAsync(cancellationToken)).ToList();
        }

        List<EnvironmentRecord> taken = [];
        TenantEnvironment? decidedOn = null;
        var result = await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (state, now) =>
            {
                decidedOn = state;
                taken = records.Where(r => r.DataKeyId == state?.DataKey?.DataKeyId).ToList();
                return EnvironmentDecider.Decide(state, command, taken.Count, alreadyTaken: false, now);
            }, cancellationToken,
            (session, decision, now) =>
            {
                if (decision.Events.Count == 0) return;
                session.Insert(new EnvironmentBackup
                {
                    Id = command.BackupId,
                    TenantId = command.TenantId,
                    SourceEnvironmentId = command.EnvironmentId,
                    Region = decidedOn!.Region,
                    Label = command.Label,
                    DataKey = decidedOn.DataKey!,
                    Records = taken.Select(BackedUpRecord.From).ToList(),
                    TakenAt = now,
                });
            });
        return result.IsRefused ? result : CommandResult.Accepted(new BackupCreated(command.BackupId));
    }
}

public sealed record BackupCreated(string BackupId);

public static class BackupEndpoints
{
    public sealed record BackUpRequest(
        [StringLength(Identifiers.MaxLength), RegularExpression(Identifiers.Pattern)] string? BackupId,
        [StringLength(BackupLabels.MaxLength), RegularExpression(DisplayText.Pattern)] string? Label);

    public static void MapBackups(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/backups",
                (HttpContext http, string tenantId, string environmentId, BackUpRequest body) =>
                {
                    var backupId = string.IsNullOrWhiteSpace(body.BackupId) ? Guid.CreateVersion7().ToString("N") : body.BackupId;
                    return CommandEndpoints.Dispatch(http, new BackUpEnvironment(tenantId, environmentId, backupId, body.Label ?? ""),
                        response => Results.Created($"/v1/tenants/{tenantId}/environments/{environmentId}/backups/{backupId}", response));
                })
            .Produces<BackupCreated>(StatusCodes.Status201Created)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("BackUpEnvironment")
            .WithSummary("D5, E6: back up the environment's encrypted records with its wrapped data key");

        routes.MapGet("/v1/tenants/{tenantId}/environments/{environmentId}/backups",
                async (HttpContext http, string tenantId, string environmentId, IQuerySession session) =>
                {
                    if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                    var backups = await session.Query<EnvironmentBackup>()
                        .Where(b => b.TenantId == tenantId && b.SourceEnvironmentId == environmentId)
                        .OrderByDescending(b => b.TakenAt)
                        .Select(BackupView.Projection)
                        .ToListAsync(http.RequestAborted);
                    return Results.Ok(backups);
                })
            .Produces<IReadOnlyList<BackupView>>()
            .ProducesRefusals()
            .WithName("ListBackups")
            .WithSummary("D5: the environment's backups and the key each is under");
    }
}
