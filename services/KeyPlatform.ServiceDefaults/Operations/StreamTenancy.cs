using Marten;

namespace KeyPlatform.ServiceDefaults.Operations;

/// <summary>How to find the streams of one tenant among the streams of a prefix. Each strategy becomes a SQL predicate
/// over a stream-id column, so the audit trail and the stream list filter in PostgreSQL and page there.</summary>
public abstract class StreamTenancy
{
    /// <summary>The tenant id is the key segment right after the prefix, up to the next ':' or the end:
    /// <c>tenant:{t}</c>, <c>tenant-key:{t}:{region}</c>, <c>tenant-lock:{t}:{region}:{n}</c>. Tenant ids never
    /// contain ':'. Uses the primary key of the streams table: cheap.</summary>
    public static StreamTenancy KeySegment { get; } = new KeySegmentTenancy();

    /// <summary>The stream key does not name the tenant, but its events do: a stream belongs to tenant t when any of its
    /// events has the JSON property <paramref name="property"/> (as stored by Marten's serializer, e.g. <c>TenantId</c>)
    /// equal to t, as the first event of an <c>environment:{id}</c> stream does. Scans the events of the prefix; add an
    /// expression index on <c>(data ->> 'TenantId')</c> when that grows large.</summary>
    public static StreamTenancy EventProperty(string property = "TenantId")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(property);
        return new EventPropertyTenancy(property);
    }

    /// <summary>The service looks the keys up itself, e.g. from a document indexed by tenant.</summary>
    public static StreamTenancy Lookup(Func<IQuerySession, string, CancellationToken, Task<IReadOnlyList<string>>> streamKeysOfTenant)
    {
        ArgumentNullException.ThrowIfNull(streamKeysOfTenant);
        return new LookupTenancy(streamKeysOfTenant);
    }

    /// <summary>Streams of this prefix belong to no tenant (they never appear in an audit trail).</summary>
    public static StreamTenancy None { get; } = new NoTenancy();

    public abstract string Description { get; }

    /// <summary>A predicate "the stream id in <paramref name="column"/> is one of the tenant's streams of this prefix",
    /// or null when there cannot be any.</summary>
    internal abstract Task<string?> PredicateAsync(SqlText sql, string column, string prefix, string tenantId, IQuerySession session,
        CancellationToken cancellationToken);

    private sealed class KeySegmentTenancy : StreamTenancy
    {
        public override string Description => "tenant id is the key segment after the prefix";

        internal override Task<string?> PredicateAsync(SqlText sql, string column, string prefix, string tenantId, IQuerySession session,
            CancellationToken cancellationToken) =>
            Task.FromResult<string?>(tenantId.Contains(':', StringComparison.Ordinal)
                ? null
                : $"({column} = {sql.Parameter(prefix + tenantId)} or {column} like {sql.Parameter(SqlText.EscapeLike(prefix + tenantId) + ":%")})");
    }

    private sealed class EventPropertyTenancy(string property) : StreamTenancy
    {
        public override string Description => $"events carry the tenant id in '{property}'";

        internal override Task<string?> PredicateAsync(SqlText sql, string column, string prefix, string tenantId, IQuerySession session,
            CancellationToken cancellationToken) =>
            Task.FromResult<string?>(
                $"{column} in (select t.stream_id from {sql.Table("mt_events")} t where t.stream_id like {sql.Parameter(SqlText.EscapeLike(prefix) + "%")}" +
                $" and t.data ->> {sql.Parameter(property)} = {sql.Parameter(tenantId)})");
    }

    private sealed class LookupTenancy(Func<IQuerySession, string, CancellationToken, Task<IReadOnlyList<string>>> lookup) : StreamTenancy
    {
        public override string Description => "looked up by the service";

        internal override async Task<string?> PredicateAsync(SqlText sql, string column, string prefix, string tenantId, IQuerySession session,
            CancellationToken cancellationToken)
        {
            var keys = (await lookup(session, tenantId, cancellationToken))
                .Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Distinct().ToArray();
            return keys.Length == 0 ? null : $"{column} = any({sql.Parameter(keys)})";
        }
    }

    private sealed class NoTenancy : StreamTenancy
    {
        public override string Description => "no tenant";

        internal override Task<string?> PredicateAsync(SqlText sql, string column, string prefix, string tenantId, IQuerySession session,
            CancellationToken cancellationToken) => Task.FromResult<string?>(null);
    }
}
