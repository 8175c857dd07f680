using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.EnvironmentEncryption.Store;

/// <summary>
/// The environment's store, standing in for its database: platform storage services write and read records, which
/// are encrypted with the environment's data key (AES-256-GCM, environment id bound as associated data). Every use of
/// the key goes through <see cref="DataKeyAccess"/>, so D2 and E6 hold for the store as for releases (an Updating or
/// locked environment is offline), and every use is audited. T4 decides which files and images it keeps.
/// </summary>
public sealed class RecordStore(IDocumentStore store, DataKeyAccess access, TimeProvider time)
{
    /// <summary>What a record's content travels as, written and read: its bytes, whatever they are.</summary>
    public const string ContentType = "application/octet-stream";

    /// <summary>Plain data records are small; files and images follow T4.</summary>
    public const long MaxDataRecordBytes = 16L * 1024 * 1024;

    /// <summary>The largest content any kind of record may have: a file or an image is below T4's limit.</summary>
    public const long MaxRecordBytes = EnvironmentDecider.MaxFileBytes - 1;

    public static long MaxBytes(RecordKind kind) => kind == RecordKind.Data ? MaxDataRecordBytes : EnvironmentDecider.MaxFileBytes;

    /// <summary>Everything that can be decided before the content is read (the declared length, when there is one).</summary>
    public async Task<Refusal?> CheckWriteAsync(Actor actor, string tenantId, string environmentId, string recordId, RecordKind kind,
        long? declaredLength, CancellationToken cancellationToken)
    {
        if ((actor.MustBeStorageService(tenantId) ?? Identifiers.Check(recordId, "The record id")) is { } refused) return refused;
        await using var session = store.QuerySession();
        var state = await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environmentId), cancellationToken);
        if (EnvironmentDecider.CanUseDataKey(state, tenantId, environmentId) is { } unavailable) return unavailable;
        var facts = await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
        return EnvironmentDecider.CanStore(state!, facts, kind, declaredLength ?? 0) ?? TooLarge(kind, declaredLength ?? 0);
    }

    public async Task<Refusal?> WriteAsync(Actor actor, string tenantId, string environmentId, string recordId, RecordKind kind,
        byte[] content, CancellationToken cancellationToken)
    {
        if ((actor.MustBeStorageService(tenantId) ?? Identifiers.Check(recordId, "The record id") ?? TooLarge(kind, content.Length))
            is { } refused) return refused;
        await using var session = await store.OpenWriteSessionAsync(cancellationToken);
        session.LastModifiedBy = actor.Subject;
        // Before the data key is chosen: a move to a fresh data key (V3) is not half done meanwhile.
        await RecordWriteLock.HoldForWriteAsync(session, environmentId, cancellationToken);
        var (refusal, lease) = await access.AcquireAsync(session, tenantId, environmentId, actor, "store:write", cancellationToken);
        if (refusal is not null) return refusal;
        using (lease)
        {
            var facts = await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
            if (EnvironmentDecider.CanStore(lease!.Environment, facts, kind, content.Length) is { } t4) return t4;
            var (nonce, ciphertext, tag) = RecordCipher.Encrypt(lease.Key, environmentId, recordId, kind, content);
            session.Store(new EnvironmentRecord
            {
                Id = EnvironmentRecord.DocumentId(environmentId, recordId),
                EnvironmentId = environmentId,
                RecordId = recordId,
                Kind = kind,
                Size = content.Length,
                DataKeyId = lease.Environment.DataKey!.DataKeyId,
                Nonce = nonce,
                Ciphertext = ciphertext,
                Tag = tag,
                WrittenAt = time.GetUtcNow(),
            });
            await session.SaveChangesAsync(cancellationToken);
            return null;
        }
    }

    public async Task<(Refusal? Refusal, EnvironmentRecord? Record, byte[]? Content)> ReadAsync(Actor actor, string tenantId,
        string environmentId, string recordId, CancellationToken cancellationToken)
    {
        if ((actor.MustBeStorageService(tenantId) ?? Identifiers.Check(recordId, "The record id")) is { } refused) return (refused, null, null);
        await using var session = store.LightweightSession();
        session.LastModifiedBy = actor.Subject;
        var (refusal, lease) = await access.AcquireAsync(session, tenantId, environmentId, actor, "store:read", cancellationToken);
        if (refusal is not null) return (refusal, null, null);
        using (lease)
        {
            var record = await session.LoadAsync<EnvironmentRecord>(EnvironmentRecord.DocumentId(environmentId, recordId), cancellationToken);
            if (record is null) return (Refusal.NotFound($"Environment '{environmentId}' has no record '{recordId}'."), null, null);
            // V3: the records moved to a fresh data key between the environment's read and the record's; read again.
            if (record.DataKeyId != lease!.Environment.DataKey!.DataKeyId)
                return (new Refusal(Rules.D2, $"The records of environment '{lease.Environment.Name}' moved to a fresh data key meanwhile; read again."),
                    null, null);
            var content = RecordCipher.Decrypt(lease!.Key, environmentId, recordId, record.Kind, record.Nonce, record.Ciphertext, record.Tag);
            await session.SaveChangesAsync(cancellationToken);
            return (null, record, content);
        }
    }

    private static Refusal? TooLarge(RecordKind kind, long length) =>
        kind == RecordKind.Data && length > MaxDataRecordBytes
            ? Refusal.Invalid($"A data record is at most {MaxDataRecordBytes} bytes.")
            : null;
}

public sealed record RecordInfo(string RecordId, RecordKind Kind, long Size, DateTimeOffset WrittenAt);

/// <summary>One page of an environment's records, in record id order.</summary>
public sealed record RecordPage(string EnvironmentId, int Page, int PageSize, long Total, IReadOnlyList<RecordInfo> Records);

public static class RecordStoreEndpoints
{
    public static void MapRecordStore(this IEndpointRouteBuilder routes)
    {
        var records = routes.MapGroup("/v1/tenants/{tenantId}/environments/{environmentId}/records");

        records.MapPut("/{recordId}", async (HttpContext http, string tenantId, string environmentId, string recordId, RecordKind? kind,
                RecordStore store, TimeProvider time) =>
            {
                var actor = Actor.FromClaims(http.User);
                if (actor is null) return RefusalProblems.ToResult(Refusal.Unauthorized("The token carries no subject or tenant (tid) claim."), time);
                var recordKind = kind ?? RecordKind.Data;
                if (await store.CheckWriteAsync(actor, tenantId, environmentId, recordId, recordKind, http.Request.ContentLength,
                        http.RequestAborted) is { } early)
                    return RefusalProblems.ToResult(early, time);

                var content = await ReadBoundedAsync(http.Request.Body, RecordStore.MaxBytes(recordKind), http.RequestAborted);
                if (content is null)
                    return RefusalProblems.ToResult(recordKind == RecordKind.Data
                        ? Refusal.Invalid($"A data record is at most {RecordStore.MaxDataRecordBytes} bytes.")
                        : new Refusal(Rules.T4, "Files and images must be below 128 MB each."), time);
                return await store.WriteAsync(actor, tenantId, environmentId, recordId, recordKind, content, http.RequestAborted) is { } refusal
                    ? RefusalProblems.ToResult(refusal, time)
                    : Results.NoContent();
            })
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(EnvironmentDecider.MaxFileBytes + 1))
            .TakesNoIdempotencyKey()
            .Accepts<Stream>(RecordStore.ContentType)
            .AddOpenApiOperationTransformer(DescribeContent)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge)
            .WithName("WriteRecord")
            .WithSummary("D1, D2, T4: write a record to the environment's store (platform storage services); the body is the content");

        records.MapGet("/{recordId}", async (HttpContext http, string tenantId, string environmentId, string recordId, RecordStore store,
                TimeProvider time) =>
            {
                var actor = Actor.FromClaims(http.User);
                if (actor is null) return RefusalProblems.ToResult(Refusal.Unauthorized("The token carries no subject or tenant (tid) claim."), time);
                var (refusal, record, content) = await store.ReadAsync(actor, tenantId, environmentId, recordId, http.RequestAborted);
                if (refusal is not null) return RefusalProblems.ToResult(refusal, time);
                http.Response.Headers["X-Record-Kind"] = record!.Kind.ToString();
                http.Response.Headers.CacheControl = "no-store";
                return Results.Bytes(content!, RecordStore.ContentType);
            })
            .Produces<Stream>(StatusCodes.Status200OK, RecordStore.ContentType)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ReadRecord")
            .WithSummary("D2, D3: read a record of the environment's store (platform storage services)");

        records.MapGet("", async (HttpContext http, string tenantId, string environmentId, IQuerySession session, TimeProvider time,
                [Range(1, Paging.MaxPage)] int? page, [Range(1, Paging.MaxPageSize)] int? pageSize) =>
            {
                var actor = Actor.FromClaims(http.User);
                if ((actor is null ? Refusal.Unauthorized("The token carries no subject or tenant (tid) claim.") : actor.MustBeStorageService(tenantId))
                    is { } denied) return RefusalProblems.ToResult(denied, time);
                var state = await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environmentId), http.RequestAborted);
                if (EnvironmentDecider.CanUseDataKey(state, tenantId, environmentId) is { } unavailable)
                    return RefusalProblems.ToResult(unavailable, time);
                var (number, size) = Paging.Requested(page, pageSize);
                var query = session.Query<EnvironmentRecord>().Where(r => r.EnvironmentId == environmentId);
                var total = await query.CountAsync(http.RequestAborted);
                var list = await query.OrderBy(r => r.RecordId).Skip(Paging.Offset(number, size)).Take(size)
                    .Select(r => new RecordInfo(r.RecordId, r.Kind, r.Size, r.WrittenAt))
                    .ToListAsync(http.RequestAborted);
                return Results.Ok(new RecordPage(environmentId, number, size, total, list));
            })
            .Produces<RecordPage>()
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ListRecords")
            .WithSummary("The records of the environment's store, paged (platform storage services)");
    }

    /// <summary>The body the handler reads by hand, as the document tells a client: its one content type (another is a
    /// 415), and how large it may be (a body over the request size limit is a 413 before it is read).</summary>
    private static Task DescribeContent(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.RequestBody is not OpenApiRequestBody body) return Task.CompletedTask;
        body.Description =
            $"The record's content, as {RecordStore.ContentType}: a Data record is at most {RecordStore.MaxDataRecordBytes} bytes " +
            $"(a larger one is refused with VALIDATION), a File or an Image at most {RecordStore.MaxRecordBytes} bytes (T4). " +
            $"A body of more than {EnvironmentDecider.MaxFileBytes + 1} bytes is answered 413 before it is read.";
        // Its own schema, not the shared Stream component the read's answer refers to as well.
        if (body.Content?.TryGetValue(RecordStore.ContentType, out var media) == true)
            media.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", MaxLength = (int)RecordStore.MaxRecordBytes };
        return Task.CompletedTask;
    }

    private static async Task<byte[]?> ReadBoundedAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
