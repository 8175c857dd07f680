namespace KeyPlatform.ServiceDefaults.Operations;

// What the operator endpoints answer (JSON, camelCase). The keyplatform CLI reads the same records.

/// <summary>One page of a list; <see cref="Next"/> is the <c>after</c> value of the next page, null on the last one.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>A stream of the service's event store.</summary>
/// <param name="AggregateType">The aggregate registered for the key's prefix, else the type Marten recorded, if any.</param>
/// <param name="LastEventAt">When its last event was recorded (event store time).</param>
public sealed record StreamSummary(string Key, string? AggregateType, long Version, DateTimeOffset Created, DateTimeOffset LastEventAt,
    bool IsArchived);

/// <summary>An event with its metadata (S1): actor (Marten's user name), correlation and causation ids, and the
/// headers the platform writes (<c>actor-tid</c>, <c>actor-roles</c>, <c>command-id</c>, <c>traceparent</c>).</summary>
/// <param name="Type">Marten's event type name, e.g. <c>key_activated</c>.</param>
/// <param name="ClrType">The .NET type's name, e.g. <c>KeyActivated</c>.</param>
/// <param name="Timestamp">When the event store recorded the event (not a time inside the event).</param>
public sealed record StreamEventView(long Sequence, long Version, Guid Id, string Type, string? ClrType, DateTimeOffset Timestamp,
    string? Actor, string? CorrelationId, string? CausationId, IReadOnlyDictionary<string, object?> Headers, object? Data);

/// <summary>An aggregate as it was after <see cref="Version"/> (S3).</summary>
/// <param name="Version">The last event applied.</param>
/// <param name="AsOfVersion">The version asked for, if any.</param>
/// <param name="AsOfTime">The time asked for, if any: events recorded at or before it are applied.</param>
/// <param name="StreamVersion">The stream's current version.</param>
public sealed record AggregateStateView(string Stream, string AggregateType, long Version, DateTimeOffset LastEventAt, long? AsOfVersion,
    DateTimeOffset? AsOfTime, long StreamVersion, object? State);

/// <summary>A projection of the service (subscriptions such as the integration event relay are not listed: rebuilding
/// them would publish every event again).</summary>
/// <param name="DocumentType">The document it writes, for aggregate projections.</param>
/// <param name="EventTypes">The events it applies (empty: every event).</param>
public sealed record ProjectionView(string Name, string Kind, string Lifecycle, string? DocumentType, IReadOnlyList<string> EventTypes);

/// <summary>One rebuilt projection: the events of its types up to the store's high-water mark when it began,
/// and how long it took.</summary>
public sealed record ProjectionRebuildView(string Name, long EventsProcessed, long HighWaterMark, double DurationMs);

public sealed record ProjectionsRebuildView(IReadOnlyList<ProjectionRebuildView> Projections, long EventsProcessed, double DurationMs);

/// <summary>One line of a tenant's audit trail (S4): who did what, when, from which service, with which ids.</summary>
/// <param name="Actor">The acting principal's subject (a service acting on its own is <c>service:{name}</c>).</param>
/// <param name="ActorTenant">The actor's tenant (<c>*</c> for platform operators and services).</param>
public sealed record AuditEntry(long Sequence, DateTimeOffset Time, string Service, string Stream, long Version, string EventType,
    string? ClrType, string? Actor, string? ActorTenant, string? ActorRoles, string? CorrelationId, string? CausationId, string? CommandId);
