using System.Data.Common;
using System.Text.Json;
using JasperFx.Events;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>Reads the service's event store for operators: Marten's own API for one stream (state, events, live
/// aggregation), parameterised SQL over <c>mt_streams</c> and <c>mt_events</c> for lists that filter and page in
/// PostgreSQL (Marten has no paged query over streams).</summary>
internal sealed class EventStoreReader(IDocumentStore store, AggregateRegistry aggregates, ServiceIdentity service)
{
    private string Schema => store.Options.Events.DatabaseSchemaName;

    public async Task<Page<StreamSummary>> ListStreamsAsync(string? prefix, string? tenantId, int limit, string? after,
        CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var sql = new SqlText(Schema);
        var where = new List<string>();
        if (after is not null) where.Add($"s.id > {sql.Parameter(after)}");
        if (!string.IsNullOrEmpty(prefix)) where.Add($"s.id like {sql.Parameter(SqlText.EscapeLike(prefix) + "%")}");
        if (tenantId is not null) where.Add(await TenantPredicateAsync(sql, "s.id", tenantId, session, cancellationToken));
        var text = $"select s.id, s.type, s.version, s.created, s.timestamp, coalesce(s.is_archived, false) from {sql.Table("mt_streams")} s" +
                   (where.Count > 0 ? " where " + string.Join(" and ", where) : "") +
                   $" order by s.id limit {sql.Parameter(limit + 1)}";

        var items = new List<StreamSummary>();
        await using (var command = sql.Command(text))
        await using (var reader = await session.ExecuteReaderAsync(command, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = reader.GetString(0);
                items.Add(new StreamSummary(key, aggregates.Find(key)?.AggregateName ?? NullableString(reader, 1),
                    reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5)));
            }
        }
        return Paged(items, limit, s => s.Key);
    }

    public async Task<StreamState?> StreamStateAsync(string streamKey, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.Events.FetchStreamStateAsync(streamKey, cancellationToken);
    }

    /// <summary>Events <paramref name="fromVersion"/>..<paramref name="toVersion"/> (inclusive) of a stream, a page of
    /// <paramref name="limit"/> after version <paramref name="afterVersion"/>.</summary>
    public async Task<Page<StreamEventView>> EventsAsync(string streamKey, long streamVersion, long fromVersion, long? toVersion, int limit,
        long afterVersion, CancellationToken cancellationToken)
    {
        var last = Math.Min(toVersion ?? streamVersion, streamVersion);
        var first = Math.Max(fromVersion, afterVersion + 1);
        if (first > last) return new Page<StreamEventView>([], null);
        var pageLast = Math.Min(last, first + limit - 1);

        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(streamKey, version: pageLast, fromVersion: first, token: cancellationToken);
        var items = events.Where(e => e.Version >= first && e.Version <= pageLast).Select(View).ToList();
        return new Page<StreamEventView>(items, pageLast < last ? pageLast.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    /// <summary>The events of the stream up to a version (0: all) or recorded at or before a time.</summary>
    public async Task<IReadOnlyList<IEvent>> FetchAsync(string streamKey, long version, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.Events.FetchStreamAsync(streamKey, version: version, timestamp: at, token: cancellationToken);
    }

    public async Task<object?> AggregateAsync(StreamAggregate registration, string streamKey, long version, DateTimeOffset? at,
        CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await registration.Aggregate(session, streamKey, version, at, cancellationToken);
    }

    /// <summary>Every event of the tenant's streams (as the registrations find them), in the order they were recorded.</summary>
    public async Task<Page<AuditEntry>> AuditAsync(string tenantId, int limit, long afterSequence, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        // First the tenant's streams (a scan of the streams table at most), then their events through the
        // (stream_id, version) index: a small tenant's trail never walks the whole event table.
        var streams = await TenantStreamKeysAsync(tenantId, session, cancellationToken);
        if (streams.Count == 0) return new Page<AuditEntry>([], null);
        var sql = new SqlText(Schema);
        var text = "select e.seq_id, e.timestamp, e.stream_id, e.version, e.type, e.mt_dotnet_type, e.user_name, e.correlation_id, " +
                   $"e.causation_id, e.headers::text from {sql.Table("mt_events")} e " +
                   $"where e.stream_id = any({sql.Parameter(streams.ToArray())}) and e.seq_id > {sql.Parameter(afterSequence)} " +
                   $"order by e.seq_id limit {sql.Parameter(limit + 1)}";

        var items = new List<AuditEntry>();
        await using (var command = sql.Command(text))
        await using (var reader = await session.ExecuteReaderAsync(command, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var headers = ParseHeaders(NullableString(reader, 9));
                items.Add(new AuditEntry(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), service.Name, reader.GetString(2),
                    reader.GetInt64(3), reader.GetString(4), ShortTypeName(NullableString(reader, 5)), NullableString(reader, 6),
                    headers.GetValueOrDefault(EventHeaders.ActorTenant), headers.GetValueOrDefault(EventHeaders.ActorRoles),
                    NullableString(reader, 7), NullableString(reader, 8), headers.GetValueOrDefault(EventHeaders.CommandId)));
            }
        }
        return Paged(items, limit, e => e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<IReadOnlyList<string>> TenantStreamKeysAsync(string tenantId, IQuerySession session, CancellationToken cancellationToken)
    {
        var sql = new SqlText(Schema);
        var text = $"select s.id from {sql.Table("mt_streams")} s where {await TenantPredicateAsync(sql, "s.id", tenantId, session, cancellationToken)}";
        var keys = new List<string>();
        await using var command = sql.Command(text);
        await using var reader = await session.ExecuteReaderAsync(command, cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) keys.Add(reader.GetString(0));
        return keys;
    }

    private async Task<string> TenantPredicateAsync(SqlText sql, string column, string tenantId, IQuerySession session,
        CancellationToken cancellationToken)
    {
        var predicates = new List<string>();
        foreach (var registration in aggregates.Streams)
            if (await registration.Tenancy.PredicateAsync(sql, column, registration.Prefix, tenantId, session, cancellationToken) is { } predicate)
                predicates.Add(predicate);
        return predicates.Count == 0 ? "false" : "(" + string.Join(" or ", predicates) + ")";
    }

    private static Page<T> Paged<T>(List<T> items, int limit, Func<T, string> cursor) =>
        items.Count > limit
            ? new Page<T>(items.Take(limit).ToList(), cursor(items[limit - 1]))
            : new Page<T>(items, null);

    internal static StreamEventView View(IEvent e) => new(e.Sequence, e.Version, e.Id, e.EventTypeName, e.EventType?.Name ?? ShortTypeName(e.DotNetTypeName),
        e.Timestamp, e.UserName, e.CorrelationId, e.CausationId,
        e.Headers is null ? new Dictionary<string, object?>() : e.Headers.ToDictionary(h => h.Key, h => (object?)h.Value), e.Data);

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary><c>Namespace.KeyActivated, Assembly</c> to <c>KeyActivated</c>.</summary>
    private static string? ShortTypeName(string? dotNetTypeName)
    {
        if (string.IsNullOrEmpty(dotNetTypeName)) return null;
        var name = dotNetTypeName.Split(',')[0];
        return name[(name.LastIndexOfAny(['.', '+']) + 1)..];
    }

    private static Dictionary<string, string> ParseHeaders(string? json)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json)) return headers;
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return headers;
        foreach (var property in document.RootElement.EnumerateObject())
            headers[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        return headers;
    }
}
