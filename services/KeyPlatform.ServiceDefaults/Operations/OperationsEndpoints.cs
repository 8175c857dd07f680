using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>S3 and S4 for every service: <c>/v1/operator/...</c> (platform operators only) lists streams, shows a
/// stream's events with their metadata, shows an aggregate as of a version or a time, lists and rebuilds
/// projections; <c>/v1/tenants/{tenantId}/audit</c> (the tenant's admins and operators) is the tenant's audit trail
/// in this service. Lists page with <c>?limit=</c> and <c>?after=</c> (the previous page's <c>next</c>); every query value
/// is a typed parameter whose limits (<see cref="OperationsQuery"/>) validation enforces and the OpenAPI document
/// publishes.</summary>
public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapPlatformOperations(this IEndpointRouteBuilder routes)
    {
        var operations = routes.MapGroup("/v1/operator").WithTags("Operations")
            .AddEndpointFilter(async (context, next) => RefuseUnlessOperator(context.HttpContext) ?? await next(context));

        operations.MapGet("/streams", ListStreamsAsync)
            .Produces<Page<StreamSummary>>().ProducesRefusals()
            .WithName("OperatorListStreams").WithSummary("S3: streams of this service (?prefix=, ?tenant=, ?limit=, ?after=)");
        operations.MapGet("/streams/{key}/events", StreamEventsAsync)
            .Produces<Page<StreamEventView>>().ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("OperatorStreamEvents").WithSummary("S3: a stream's events with metadata (?fromVersion=, ?toVersion=, ?limit=, ?after=)");
        operations.MapGet("/streams/{key}/state", AggregateStateAsync)
            .Produces<AggregateStateView>().ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("OperatorAggregateState").WithSummary("S3: the aggregate of a stream as of ?version=N or ?at=ISO-8601 (default: now)");
        operations.MapGet("/projections", (ProjectionRebuilds projections) => Results.Ok(projections.List()))
            .Produces<IReadOnlyList<ProjectionView>>().ProducesRefusals()
            .WithName("OperatorListProjections").WithSummary("S3: the projections of this service");
        // A rebuild runs to its end even if the caller goes away: stopped half-way, it would leave documents missing.
        operations.MapPost("/projections/{name}/rebuild", (string name, ProjectionRebuilds projections, IHostApplicationLifetime host) =>
                RebuildAsync(projections, [name], host.ApplicationStopping))
            .Produces<ProjectionsRebuildView>().ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesNoIdempotencyKey()
            .WithName("OperatorRebuildProjection").WithSummary("S3: rebuild one projection from the events");
        operations.MapPost("/projections/rebuild", (ProjectionRebuilds projections, IHostApplicationLifetime host) =>
                RebuildAsync(projections, projections.List().Select(p => p.Name).ToList(), host.ApplicationStopping))
            .Produces<ProjectionsRebuildView>().ProducesRefusals(StatusCodes.Status409Conflict)
            .TakesNoIdempotencyKey()
            .WithName("OperatorRebuildProjections").WithSummary("S3: rebuild every projection from the events");

        routes.MapGet("/v1/tenants/{tenantId}/audit", AuditAsync).WithTags("Operations")
            .Produces<Page<AuditEntry>>().ProducesRefusals()
            .WithName("TenantAuditTrail").WithSummary("S4: who did what in the tenant, when, from this service (?limit=, ?after=)");
        return routes;
    }

    private static IResult? RefuseUnlessOperator(HttpContext http)
    {
        var refusal = Actor.FromClaims(http.User) is { } actor
            ? actor.MustBePlatformOperator()
            : Refusal.Unauthorized("The token carries no subject or tenant (tid) claim.");
        return refusal is null ? null : Problem(refusal);
    }

    private static async Task<IResult> ListStreamsAsync(HttpContext http, EventStoreReader reader,
        [Range(1, OperationsQuery.MaxLimit)] int? limit, [StringLength(OperationsQuery.MaxStreamKeyLength), RegularExpression(DisplayText.Pattern)] string? prefix, [StringLength(OperationsQuery.MaxStreamKeyLength), RegularExpression(DisplayText.Pattern)] string? tenant,
        [StringLength(OperationsQuery.MaxStreamKeyLength), RegularExpression(DisplayText.Pattern)] string? after) =>
        Results.Ok(await reader.ListStreamsAsync(Given(prefix), Given(tenant), limit ?? OperationsQuery.DefaultLimit, Given(after),
            http.RequestAborted));

    private static async Task<IResult> StreamEventsAsync(HttpContext http, [StringLength(OperationsQuery.MaxStreamKeyLength), RegularExpression(DisplayText.Pattern)] string key, EventStoreReader reader,
        [Range(1, OperationsQuery.MaxLimit)] int? limit,
        [Range(typeof(long), "1", OperationsQuery.MaxPosition, ErrorMessage = OperationsQuery.VersionMessage)] long? fromVersion,
        [Range(typeof(long), "1", OperationsQuery.MaxPosition, ErrorMessage = OperationsQuery.VersionMessage)] long? toVersion,
        [Range(typeof(long), "0", OperationsQuery.MaxPosition, ErrorMessage = OperationsQuery.VersionMessage)] long? after)
    {
        if (fromVersion > toVersion)
            return Problem(Refusal.Invalid($"fromVersion ({fromVersion}) is after toVersion ({toVersion})."));

        var stream = await reader.StreamStateAsync(key, http.RequestAborted);
        if (stream is null) return UnknownStream(key);
        return Results.Ok(await reader.EventsAsync(key, stream.Version, fromVersion ?? 1, toVersion, limit ?? OperationsQuery.DefaultLimit,
            after ?? 0, http.RequestAborted));
    }

    private static async Task<IResult> AggregateStateAsync(HttpContext http, [StringLength(OperationsQuery.MaxStreamKeyLength), RegularExpression(DisplayText.Pattern)] string key, EventStoreReader reader,
        AggregateRegistry aggregates,
        [Range(typeof(long), "1", OperationsQuery.MaxPosition, ErrorMessage = OperationsQuery.VersionMessage)] long? version,
        [RegularExpression(IsoTime.Pattern, ErrorMessage = OperationsQuery.TimeMessage), Description(IsoTime.Expected)] string? at)
    {
        DateTimeOffset? asOf = null;
        if (Given(at) is { } text)
        {
            // The pattern is the shape of a time; a string of that shape can still name none (2026-13-45).
            if (!IsoTime.TryParse(text, out var parsed)) return Problem(Refusal.Invalid($"at '{text}' is not a time: expected {IsoTime.Expected}."));
            asOf = parsed;
        }
        if (version is not null && asOf is not null) return Problem(Refusal.Invalid("Give either version or at, not both."));

        var registration = aggregates.Find(key);
        if (registration is null)
            return Problem(Refusal.NotFound(
                $"No aggregate is registered for stream '{key}' in this service (registered prefixes: " +
                $"{string.Join(", ", aggregates.Streams.Select(s => $"'{s.Prefix}' ({s.AggregateName})"))})."));
        var stream = await reader.StreamStateAsync(key, http.RequestAborted);
        if (stream is null) return UnknownStream(key);
        if (version > stream.Version)
            return Problem(Refusal.Invalid($"Stream '{key}' is at version {stream.Version}; version {version} does not exist yet."));

        var events = await reader.FetchAsync(key, version ?? 0, asOf, http.RequestAborted);
        if (events.Count == 0)
        {
            var first = (await reader.FetchAsync(key, 1, null, http.RequestAborted)).FirstOrDefault()?.Timestamp ?? stream.Created;
            return Problem(Refusal.Invalid(
                $"Stream '{key}' has no event recorded at or before {asOf:O}; its first event was recorded at {first:O}."));
        }
        var state = await reader.AggregateAsync(registration, key, version ?? 0, asOf, http.RequestAborted);
        var last = events[^1];
        return Results.Ok(new AggregateStateView(key, registration.AggregateName, last.Version, last.Timestamp, version, asOf, stream.Version, state));
    }

    private static async Task<IResult> RebuildAsync(ProjectionRebuilds projections, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            if (projections.IsSubscription(name))
                return Problem(Refusal.Invalid($"'{name}' is a subscription, not a projection: rebuilding it would publish every event again."));
            if (!projections.Exists(name))
                return Problem(Refusal.NotFound(
                    $"No projection '{name}' in this service (projections: {string.Join(", ", projections.List().Select(p => p.Name))})."));
        }
        return await projections.RebuildAsync(names, cancellationToken) is { } report
            ? Results.Ok(report)
            : Problem(new Refusal(Contracts.Rules.S3, "Another projection rebuild is running in this service; try again when it has finished."));
    }

    private static async Task<IResult> AuditAsync(HttpContext http, string tenantId, EventStoreReader reader,
        [Range(1, OperationsQuery.MaxLimit)] int? limit,
        [Range(typeof(long), "0", OperationsQuery.MaxPosition, ErrorMessage = OperationsQuery.VersionMessage)] long? after)
    {
        if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
        if (Actor.FromClaims(http.User) is not { } actor || !(actor.IsOperator || actor.IsTenantAdmin))
            return Problem(Refusal.Unauthorized("Only the tenant's administrators and platform operators may read its audit trail."));
        return Results.Ok(await reader.AuditAsync(tenantId, limit ?? OperationsQuery.DefaultLimit, after ?? 0, http.RequestAborted));
    }

    private static IResult UnknownStream(string key) => Problem(Refusal.NotFound($"No stream '{key}' in this service."));

    private static IResult Problem(Refusal refusal) => Results.Problem(RefusalProblems.ToProblemDetails(refusal));

    /// <summary>An empty query value (<c>?prefix=</c>) is a value not given.</summary>
    private static string? Given(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
