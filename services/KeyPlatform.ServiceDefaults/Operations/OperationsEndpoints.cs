using System.Globalization;
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
/// in this service. Lists page with <c>?limit=</c> (1-1000, default 100) and <c>?after=</c> (the previous page's
/// <c>next</c>).</summary>
public static class OperationsEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

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
            .WithName("OperatorRebuildProjection").WithSummary("S3: rebuild one projection from the events");
        operations.MapPost("/projections/rebuild", (ProjectionRebuilds projections, IHostApplicationLifetime host) =>
                RebuildAsync(projections, projections.List().Select(p => p.Name).ToList(), host.ApplicationStopping))
            .Produces<ProjectionsRebuildView>().ProducesRefusals(StatusCodes.Status409Conflict)
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

    private static async Task<IResult> ListStreamsAsync(HttpContext http, EventStoreReader reader)
    {
        var query = new QueryValues(http.Request);
        var limit = query.Limit();
        var prefix = query.Text("prefix");
        var tenant = query.Text("tenant");
        if (query.Refusal is { } invalid) return Problem(invalid);
        return Results.Ok(await reader.ListStreamsAsync(prefix, tenant, limit, query.Text("after"), http.RequestAborted));
    }

    private static async Task<IResult> StreamEventsAsync(HttpContext http, string key, EventStoreReader reader)
    {
        var query = new QueryValues(http.Request);
        var limit = query.Limit();
        var from = query.Long("fromVersion", minimum: 1);
        var to = query.Long("toVersion", minimum: 1);
        var after = query.Long("after", minimum: 0);
        if (from is not null && to is not null && from > to)
            query.Refuse($"fromVersion ({from}) is after toVersion ({to}).");
        if (query.Refusal is { } invalid) return Problem(invalid);

        var stream = await reader.StreamStateAsync(key, http.RequestAborted);
        if (stream is null) return UnknownStream(key);
        return Results.Ok(await reader.EventsAsync(key, stream.Version, from ?? 1, to, limit, after ?? 0, http.RequestAborted));
    }

    private static async Task<IResult> AggregateStateAsync(HttpContext http, string key, EventStoreReader reader, AggregateRegistry aggregates)
    {
        var query = new QueryValues(http.Request);
        var version = query.Long("version", minimum: 1);
        var at = query.Time("at");
        if (version is not null && at is not null) query.Refuse("Give either version or at, not both.");
        if (query.Refusal is { } invalid) return Problem(invalid);

        var registration = aggregates.Find(key);
        if (registration is null)
            return Problem(Refusal.NotFound(
                $"No aggregate is registered for stream '{key}' in this service (registered prefixes: " +
                $"{string.Join(", ", aggregates.Streams.Select(s => $"'{s.Prefix}' ({s.AggregateName})"))})."));
        var stream = await reader.StreamStateAsync(key, http.RequestAborted);
        if (stream is null) return UnknownStream(key);
        if (version > stream.Version)
            return Problem(Refusal.Invalid($"Stream '{key}' is at version {stream.Version}; version {version} does not exist yet."));

        var events = await reader.FetchAsync(key, version ?? 0, at, http.RequestAborted);
        if (events.Count == 0)
        {
            var first = (await reader.FetchAsync(key, 1, null, http.RequestAborted)).FirstOrDefault()?.Timestamp ?? stream.Created;
            return Problem(Refusal.Invalid(
                $"Stream '{key}' has no event recorded at or before {at:O}; its first event was recorded at {first:O}."));
        }
        var state = await reader.AggregateAsync(registration, key, version ?? 0, at, http.RequestAborted);
        var last = events[^1];
        return Results.Ok(new AggregateStateView(key, registration.AggregateName, last.Version, last.Timestamp, version, at, stream.Version, state));
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

    private static async Task<IResult> AuditAsync(HttpContext http, string tenantId, EventStoreReader reader)
    {
        if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
        if (Actor.FromClaims(http.User) is not { } actor || !(actor.IsOperator || actor.IsTenantAdmin))
            return Problem(Refusal.Unauthorized("Only the tenant's administrators and platform operators may read its audit trail."));
        var query = new QueryValues(http.Request);
        var limit = query.Limit();
        var after = query.Long("after", minimum: 0);
        if (query.Refusal is { } invalid) return Problem(invalid);
        return Results.Ok(await reader.AuditAsync(tenantId, limit, after ?? 0, http.RequestAborted));
    }

    private static IResult UnknownStream(string key) => Problem(Refusal.NotFound($"No stream '{key}' in this service."));

    private static IResult Problem(Refusal refusal) => Results.Problem(RefusalProblems.ToProblemDetails(refusal));

    /// <summary>Reads query values, keeping the first one that is not valid as a VALIDATION refusal.</summary>
    private sealed class QueryValues(HttpRequest request)
    {
        public Refusal? Refusal { get; private set; }

        public void Refuse(string reason) => Refusal ??= Refusal.Invalid(reason);

        public string? Text(string name) => request.Query[name].FirstOrDefault() is { Length: > 0 } value ? value : null;

        public int Limit()
        {
            var limit = Long("limit", minimum: 1) ?? DefaultLimit;
            if (limit <= MaxLimit) return (int)limit;
            Refuse($"limit must be at most {MaxLimit}.");
            return DefaultLimit;
        }

        public long? Long(string name, long minimum)
        {
            if (Text(name) is not { } text) return null;
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum) return value;
            Refuse($"{name} must be a whole number of at least {minimum}, not '{text}'.");
            return null;
        }

        public DateTimeOffset? Time(string name)
        {
            if (Text(name) is not { } text) return null;
            if (IsoTime.TryParse(text, out var value)) return value;
            Refuse($"{name} '{text}' is not a time: expected {IsoTime.Expected}.");
            return null;
        }
    }
}
