using System.Security.Cryptography;
using System.Text;
using KeyPlatform.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>
/// The <c>Idempotency-Key</c> request header (the IETF httpapi idempotency-key draft, as Stripe uses it) at the edge:
/// its form is checked before anything else runs (400, rule <c>IDEMPOTENCY_KEY</c>), and the request body is hashed as
/// the endpoint reads it, so the body itself (a key file, a password) is never kept. What a key does is decided where
/// commands enter, <see cref="RememberedAnswers"/>. See docs/decisions/0025-http-idempotency-and-retention.md.
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>Set on an answer repeated from a remembered one.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    public const int MaxLength = 255;

    /// <summary>1-255 printable ASCII characters (space to '~'), not only spaces. A UUID is the usual choice.</summary>
    public static bool IsWellFormed(string? key) =>
        key is { Length: > 0 and <= MaxLength } && key.All(c => c is >= ' ' and <= '~') && !string.IsNullOrWhiteSpace(key);

    /// <summary>For unsafe methods: a malformed key is refused; a well-formed one wraps the body in a hash and is
    /// offered to the endpoint as <see cref="IdempotencyKeyFeature"/>. Safe methods ignore the header, as the draft says.</summary>
    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (!request.Headers.TryGetValue(Header, out var values) || IsSafe(request.Method))
        {
            await next(http);
            return;
        }

        if (http.GetEndpoint()?.Metadata.GetMetadata<TakesNoIdempotencyKey>() is not null)
        {
            await Refusal(StatusCodes.Status400BadRequest,
                $"This operation is not a command and takes no {Header}; send it without one.").ExecuteAsync(http);
            return;
        }

        if (values.Count != 1 || !IsWellFormed(values[0]))
        {
            await Refusal(StatusCodes.Status400BadRequest,
                $"The {Header} header must be one value of 1 to {MaxLength} printable ASCII characters.").ExecuteAsync(http);
            return;
        }

        var body = new HashedRequestBody(request.Body, request.Method, request.Path, request.QueryString);
        request.Body = body;
        http.Response.RegisterForDispose(body);
        http.Features.Set(new IdempotencyKeyFeature(values[0]!, body));
        await next(http);
    });

    /// <summary>Marks an unsafe endpoint that is not a command (it does not go through <see cref="CommandEndpoints"/>, so
    /// a key would do nothing there): a request to it with the header is refused, and its operation does not offer it.</summary>
    public static RouteHandlerBuilder TakesNoIdempotencyKey(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new TakesNoIdempotencyKey());

    /// <summary>A refusal about the key itself: ProblemDetails with rule <c>IDEMPOTENCY_KEY</c>.</summary>
    internal static IResult Refusal(int status, string reason, TimeSpan? retryAfter = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Type = $"urn:keyplatform:rule:{Rules.IdempotencyKey}",
            Title = "The Idempotency-Key cannot be used for this request",
            Detail = reason,
        };
        problem.Extensions["rule"] = Rules.IdempotencyKey;
        var result = Results.Problem(problem);
        return retryAfter is { } wait ? new WithRetryAfter(result, wait) : result;
    }

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    private sealed class WithRetryAfter(IResult inner, TimeSpan wait) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds))
                .ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}

/// <summary>A request's well-formed <c>Idempotency-Key</c>, and the hash of the request it came with.</summary>
public sealed class IdempotencyKeyFeature(string key, HashedRequestBody body)
{
    public string Key { get; } = key;

    /// <summary>The hex SHA-256 of method, path, query and the whole body: what a retry must repeat exactly.</summary>
    public Task<string> RequestHashAsync(CancellationToken cancellationToken) => body.FinishAsync(cancellationToken);
}

/// <summary>The request body as the endpoint reads it, hashed on the way (SHA-256 over method, path and query first).
/// <see cref="FinishAsync"/> reads whatever the endpoint left unread, so the hash always covers the whole body.</summary>
public sealed class HashedRequestBody : Stream
{
    private readonly Stream inner;
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? finished;

    public HashedRequestBody(Stream inner, string method, PathString path, QueryString query)
    {
        this.inner = inner;
        hash.AppendData(Encoding.UTF8.GetBytes($"{method.ToUpperInvariant()} {path.Value}{query.Value}\n"));
    }

    public async Task<string> FinishAsync(CancellationToken cancellationToken)
    {
        if (finished is not null) return finished;
        var rest = new byte[16 * 1024];
        while (await ReadAsync(rest, cancellationToken) > 0)
        {
        }
        finished = Convert.ToHexStringLower(hash.GetHashAndReset());
        return finished;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Hash(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Hash(buffer.Span[..read]);
        return read;
    }

    private void Hash(ReadOnlySpan<byte> bytes)
    {
        if (finished is null && bytes.Length > 0) hash.AppendData(bytes);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Endpoint metadata: see <see cref="IdempotencyKeys.TakesNoIdempotencyKey"/>.</summary>
public sealed class TakesNoIdempotencyKey;
