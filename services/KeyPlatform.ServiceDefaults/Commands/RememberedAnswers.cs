using System.Security.Cryptography;
using System.Text;
using JasperFx;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>
/// What an <c>Idempotency-Key</c> does for an HTTP command (<see cref="CommandEndpoints.Dispatch{TCommand}"/>): the first
/// request with a key, by a caller on a route, decides; every retry of it gets that first answer (status, body,
/// Location) without deciding again. The key is scoped to the caller's subject and tenant and to the method and path,
/// so one caller's key never answers another's request. A retry with another body is refused (422), one whose first
/// attempt still runs waits (409, Retry-After); a 5xx answer is forgotten so the client may retry.
/// See docs/decisions/0025-http-idempotency-and-retention.md.
/// </summary>
public static class RememberedAnswers
{
    /// <summary>How long a running first attempt holds its key before a retry may take it over (a crashed process
    /// never finishes it). Longer than any command takes; the inbox still stops a second effect if one does.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>What a retry of a running request is told to wait.</summary>
    public static readonly TimeSpan RetryRunningAfter = TimeSpan.FromSeconds(1);

    /// <summary>The id of a key's remembered answer and the command id of its command: a name-based GUID (SHA-256, the
    /// RFC 9562 version 8 layout) of subject, tenant, method, path and key.</summary>
    public static Guid CommandIdFor(Actor actor, string method, PathString path, string key)
    {
        var name = $"keyplatform:idempotency-key\n{actor.Subject}\n{actor.TenantId}\n{method.ToUpperInvariant()} {path.Value}\n{key}";
        Span<byte> bytes = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), bytes);
        var guid = bytes[..16];
        guid[6] = (byte)((guid[6] & 0x0F) | 0x80);
        guid[8] = (byte)((guid[8] & 0x3F) | 0x80);
        return new Guid(guid, bigEndian: true);
    }

    /// <summary>Before the command runs: a claim to run it, or the answer to give instead (a repeat or a refusal).</summary>
    public static async Task<(Claim? Claim, IResult? Answer)> BeginAsync(HttpContext http, Actor actor,
        IdempotencyKeyFeature key)
    {
        var services = http.RequestServices;
        var store = services.GetRequiredService<IDocumentStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var requestHash = await key.RequestHashAsync(http.RequestAborted);
        var commandId = CommandIdFor(actor, http.Request.Method, http.Request.Path, key.Key);
        var id = commandId.ToString("N");
        var attempt = Guid.NewGuid();

        for (var tries = 0; ; tries++)
        {
            await using var session = store.LightweightSession();
            var now = time.GetUtcNow();
            var remembered = await session.LoadAsync<RememberedAnswer>(id, http.RequestAborted);
            if (remembered is not null && remembered.RequestHash != requestHash)
                return (null, IdempotencyKeys.Refusal(StatusCodes.Status422UnprocessableEntity,
                    $"This {IdempotencyKeys.Header} was used for a different request (method, path or body); send a new key for a new request."));
            if (remembered is { State: RememberedAnswerState.Answered })
                return (null, new Replay(remembered, time));
            if (remembered is { State: RememberedAnswerState.Committed })
                return (null, IdempotencyKeys.Refusal(StatusCodes.Status409Conflict,
                    $"The first request with this {IdempotencyKeys.Header} was carried out, but its answer was not recorded; read the resource's state instead of retrying."));
            if (remembered is { State: RememberedAnswerState.Running } && remembered.StartedAt + Lease > now)
                return (null, IdempotencyKeys.Refusal(StatusCodes.Status409Conflict,
                    $"The first request with this {IdempotencyKeys.Header} is still running; retry later.", RetryRunningAfter));

            if (remembered is null)
            {
                session.Insert(new RememberedAnswer
                {
                    Id = id, CommandId = commandId, RequestHash = requestHash, State = RememberedAnswerState.Running,
                    Attempt = attempt, StartedAt = now, RecordedAt = now,
                });
            }
            else
            {
                // A running attempt older than the lease died with its process: this one takes over.
                remembered.Attempt = attempt;
                remembered.StartedAt = now;
                remembered.RecordedAt = now;
                session.Store(remembered);
            }

            try
            {
                await session.SaveChangesAsync(http.RequestAborted);
                return (new Claim(store, time, id, commandId, attempt), null);
            }
            catch (Exception e) when (tries < 3 && (e is DocumentAlreadyExistsException || StreamCommands.IsConcurrencyConflict(e)))
            {
                // another attempt with the same key claimed it first: look again
            }
        }
    }

    /// <summary>The right to run a key's command, until its answer is stored or forgotten.</summary>
    public sealed class Claim(IDocumentStore store, TimeProvider time, string id, Guid commandId, Guid attempt)
    {
        public string Id => id;
        public Guid CommandId => commandId;

        /// <summary>Wraps the command's answer: when it is written, it is stored first (a 4xx refusal too), or forgotten
        /// when it is a 5xx, and then sent.</summary>
        public IResult Remember(IResult answer) => new Remembering(answer, this);

        /// <summary>The command failed (an exception, a 5xx): the key is free again, unless the effect committed.</summary>
        public async Task ForgetAsync()
        {
            await using var session = store.LightweightSession();
            var remembered = await session.LoadAsync<RememberedAnswer>(id, CancellationToken.None);
            if (remembered is not { State: RememberedAnswerState.Running } || remembered.Attempt != attempt) return;
            session.Delete(remembered);
            await SaveQuietlyAsync(session);
        }

        internal async Task StoreAsync(HttpResponse response, byte[] body)
        {
            var now = time.GetUtcNow();
            await using var session = store.LightweightSession();
            var remembered = await session.LoadAsync<RememberedAnswer>(id, CancellationToken.None);
            if (remembered is null || remembered.State == RememberedAnswerState.Answered) return;
            if (remembered.State == RememberedAnswerState.Running && remembered.Attempt != attempt) return;
            var withheld = response.Headers.CacheControl.ToString().Contains("no-store", StringComparison.OrdinalIgnoreCase);
            remembered.State = RememberedAnswerState.Answered;
            remembered.RecordedAt = now;
            remembered.Status = response.StatusCode;
            remembered.ContentType = withheld ? null : response.ContentType;
            remembered.Location = response.Headers.Location.FirstOrDefault();
            remembered.RetryAt = long.TryParse(response.Headers.RetryAfter.FirstOrDefault(), out var seconds) ? now.AddSeconds(seconds) : null;
            remembered.Body = withheld ? null : body;
            remembered.Withheld = withheld;
            session.Store(remembered);
            await SaveQuietlyAsync(session);
        }

        private async Task SaveQuietlyAsync(IDocumentSession session)
        {
            try
            {
                await session.SaveChangesAsync(CancellationToken.None);
            }
            catch (Exception e) when (StreamCommands.IsConcurrencyConflict(e))
            {
                // another attempt with the same key moved it on; its word stands
            }
        }
    }

    private sealed class Remembering(IResult answer, Claim claim) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            var body = response.Body;
            using var buffer = new MemoryStream();
            response.Body = buffer;
            try
            {
                await answer.ExecuteAsync(httpContext);
            }
            catch
            {
                response.Body = body;
                await claim.ForgetAsync();
                throw;
            }

            response.Body = body;
            if (response.StatusCode >= StatusCodes.Status500InternalServerError) await claim.ForgetAsync();
            else
            {
                try
                {
                    await claim.StoreAsync(response, buffer.ToArray());
                }
                catch (Exception e)
                {
                    // The answer is still given; a retry then finds the command committed (or the key free after the lease).
                    httpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RememberedAnswers))
                        .LogWarning(e, "The answer to an {Header} request could not be stored", IdempotencyKeys.Header);
                }
            }

            buffer.Position = 0;
            await buffer.CopyToAsync(body, httpContext.RequestAborted);
        }
    }

    /// <summary>A remembered answer, given again: same status, Location and body; a withheld answer (key material, sent
    /// once) says so instead.</summary>
    private sealed class Replay(RememberedAnswer remembered, TimeProvider time) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            if (remembered.Withheld)
            {
                await IdempotencyKeys.Refusal(StatusCodes.Status409Conflict,
                    $"The first request with this {IdempotencyKeys.Header} succeeded ({remembered.Status}); its answer carried key material, which is sent once and never stored.")
                    .ExecuteAsync(httpContext);
                return;
            }

            var response = httpContext.Response;
            response.StatusCode = remembered.Status;
            response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
            if (remembered.Location is { } location) response.Headers.Location = location;
            if (remembered.RetryAt is { } retryAt)
                response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling((retryAt - time.GetUtcNow()).TotalSeconds))
                    .ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (remembered.ContentType is { } contentType) response.ContentType = contentType;
            if (remembered.Body is { Length: > 0 } body)
            {
                response.ContentLength = body.Length;
                await response.Body.WriteAsync(body, httpContext.RequestAborted);
            }
        }
    }
}
