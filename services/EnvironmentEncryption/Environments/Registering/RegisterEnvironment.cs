using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;

namespace KeyPlatform.EnvironmentEncryption.Environments.Registering;

/// <summary>E1, D1: platform services register the environments they create; each gets its own AES-256 data key,
/// stored only wrapped by the platform key of its region.</summary>
public sealed class RegisterEnvironmentHandler(StreamCommands streams, EnvironmentReader reader, DataKeyVault dataKeys)
    : ICommandHandler<RegisterEnvironment>
{
    public async Task<CommandResult> HandleAsync(RegisterEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeOperatorOf(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        if (Validate(command) is { } invalid) return CommandResult.Refused(invalid);
        command = command with { Name = command.Name.Trim(), Version = command.Version.Trim() };

        var existing = await reader.EnvironmentAsync(command.EnvironmentId, cancellationToken);
        if (EnvironmentDecider.CanRegister(existing, command) is { } refusal) return CommandResult.Refused(refusal);
        if (existing is not null) return CommandResult.Accepted(new RegisteredEnvironment(command.EnvironmentId));

        var dataKey = await dataKeys.GenerateAsync(command.Region, streams.Time.GetUtcNow(), cancellationToken);
        var result = await streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(command.EnvironmentId), context,
            (state, now) => EnvironmentDecider.Decide(state, command, dataKey, now), cancellationToken);
        return result.IsRefused ? result : CommandResult.Accepted(new RegisteredEnvironment(command.EnvironmentId));
    }

    private static Refusal? Validate(RegisterEnvironment command) =>
        // The tenant, region and environment ids were checked at the edge (X3, PlatformIds).
        EnvironmentNames.Check(command.Name?.Trim())
        ?? (!Version.TryParse(command.Version?.Trim(), out _)
            ? Refusal.Invalid($"The environment version '{command.Version}' is not a version such as 9.2.21052.00103.") : null)
        ?? (!Enum.IsDefined(command.Type) || !Enum.IsDefined(command.Storage)
            ? Refusal.Invalid("Unknown environment type or storage.") : null);
}

public sealed record RegisteredEnvironment(string EnvironmentId);

/// <summary>The platform deleted an environment: its records and backups go with it (and its cached key).</summary>
public sealed class DeleteEnvironmentHandler(StreamCommands streams, DataKeyCache cache) : ICommandHandler<DeleteEnvironment>
{
    public async Task<CommandResult> HandleAsync(DeleteEnvironment command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeOperatorOf(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        return await EnvironmentErasure.DecideAndEraseAsync(streams, cache, command.EnvironmentId, context,
            (state, now) => EnvironmentDecider.Decide(state, command, now), cancellationToken);
    }
}

public static class RegistrationEndpoints
{
    /// <summary>A version such as 9.2.21052.00103: two to four numbers of at most nine digits.</summary>
    public const string VersionPattern = @"^[0-9]{1,9}(\.[0-9]{1,9}){1,3}$";

    /// <summary>The longest version <see cref="VersionPattern"/> admits.</summary>
    public const int VersionMaxLength = 39;

    /// <summary>The ids are checked by <c>PlatformIds</c> (X3) when the command is dispatched.</summary>
    public sealed record RegisterRequest(
        string? EnvironmentId,
        string? Region,
        [Required, StringLength(EnvironmentNames.MaxLength, MinimumLength = 1), RegularExpression(DisplayText.Pattern)] string? Name,
        [Required] EnvironmentType? Type,
        [Required] EnvironmentStorage? Storage,
        [Required, StringLength(VersionMaxLength), RegularExpression(VersionPattern)] string? Version,
        [Required] DateTimeOffset? CreatedAt);

    public static void MapEnvironmentRegistration(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/tenants/{tenantId}/environments", (HttpContext http, string tenantId, RegisterRequest body) =>
                CommandEndpoints.Dispatch(http,
                    new RegisterEnvironment(tenantId, body.Region ?? "", body.EnvironmentId ?? "", body.Name!, body.Type!.Value,
                        body.Storage!.Value, body.Version!, body.CreatedAt!.Value),
                    response => Results.Created($"/v1/tenants/{tenantId}/environments/{body.EnvironmentId}", response)))
            .Produces<RegisteredEnvironment>(StatusCodes.Status201Created)
            .ProducesRefusals(StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("RegisterEnvironment")
            .WithSummary("E1, D1: register an environment (platform operators); it starts under the platform key with its own data key");

        routes.MapDelete("/v1/tenants/{tenantId}/environments/{environmentId}", (HttpContext http, string tenantId, string environmentId, string? reason) =>
                CommandEndpoints.Dispatch(http, new DeleteEnvironment(tenantId, environmentId, reason ?? ""), _ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("DeleteEnvironment")
            .WithSummary("Delete an environment (platform operators): its records and backups are deleted");
    }
}
