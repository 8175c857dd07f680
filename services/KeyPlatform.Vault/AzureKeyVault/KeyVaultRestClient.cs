using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// The Key Vault REST calls over one Azure.Core <see cref="HttpPipeline"/>: bearer token with Key Vault's challenge,
/// Azure.Core's retry policy (exponential, Retry-After honoured on 429 and 503), Azure.Core's logging with its default
/// redaction (no bodies, no Authorization, only the <c>api-version</c> query parameter shown). A 2xx or 404 is an
/// answer; every other status throws <see cref="AzureKeyVaultRequestException"/>. Each try is limited by
/// <see cref="AzureKeyVaultOptions.NetworkTimeout"/>, the request with all its tries and waits by
/// <see cref="AzureKeyVaultOptions.RequestTimeout"/> (on the <see cref="TimeProvider"/>); past either it is a
/// <see cref="TimeoutException"/>.
/// </summary>
internal sealed class KeyVaultRestClient
{
    private readonly HttpPipeline _pipeline;
    private readonly Uri _vault;
    private readonly string _apiVersion;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;

    public KeyVaultRestClient(AzureKeyVaultOptions options, TokenCredential credential, TimeProvider time)
    {
        _vault = options.VaultUri!;
        _apiVersion = options.ApiVersion;
        _requestTimeout = options.RequestTimeout;
        _time = time;
        var clientOptions = new KeyVaultClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.Delay = options.RetryDelay;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
        clientOptions.Diagnostics.IsLoggingContentEnabled = false;
        if (options.Transport is { } transport)
        {
            clientOptions.Transport = transport;
        }

        _pipeline = HttpPipelineBuilder.Build(clientOptions, new KeyVaultChallengePolicy(credential, options.Scope, _vault));
    }

    public Uri Vault => _vault;

    /// <summary>Sends one request; the body (already JSON) is zeroed by the caller after this returns.</summary>
    public Task<KeyVaultAnswer> SendAsync(RequestMethod method, string path, ReadOnlyMemory<byte>? body, string operation,
        CancellationToken cancellationToken) =>
        SendAsync(method, uri =>
        {
            uri.Reset(_vault);
            uri.AppendPath(path, escape: false);
            uri.AppendQuery("api-version", _apiVersion);
        }, body, operation, cancellationToken);

    /// <summary>
    /// GETs the next page of a list (the <c>nextLink</c> of the previous page, sent as Key Vault wrote it: it carries the
    /// api-version and the skip token). A link to another host is refused, so the bearer token never leaves the vault.
    /// </summary>
    public Task<KeyVaultAnswer> GetNextPageAsync(string nextLink, string operation, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(nextLink, UriKind.Absolute, out var link)
            || !string.Equals(link.GetLeftPart(UriPartial.Authority), _vault.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw new AzureKeyVaultRequestException(_vault, operation, 0, null,
                "the vault answered with a next-page link to another host; it is not followed.");
        }

        return SendAsync(RequestMethod.Get, uri => uri.Reset(link), null, operation, cancellationToken);
    }

    private async Task<KeyVaultAnswer> SendAsync(RequestMethod method, Action<RequestUriBuilder> address, ReadOnlyMemory<byte>? body,
        string operation, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        address(request.Uri);
        request.Headers.Add(HttpHeader.Common.JsonContentType);
        if (body is { } content)
        {
            request.Content = RequestContent.Create(content);
        }

        using var budget = new CancellationTokenSource(_requestTimeout, _time);
        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        try
        {
            await _pipeline.SendAsync(message, limited.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException failure) when (!cancellationToken.IsCancellationRequested)
        {
            // The request budget ran out, or the last try exceeded the network timeout: a timeout, as the decorator knows it.
            throw new TimeoutException(
                $"The vault {_vault} did not answer the request to {operation} in time (with the pipeline's retries).", failure);
        }
        catch (RequestFailedException failure)
        {
            throw Unavailable(new AzureKeyVaultRequestException(_vault, operation, failure.Status, null,
                "the vault could not be reached (after the pipeline's retries).", failure));
        }
        catch (AuthenticationFailedException failure)
        {
            throw new AzureKeyVaultRequestException(_vault, operation, 0, null,
                $"the credential could not get a token ({failure.GetType().Name}); check {AzureKeyVaultOptions.SectionName}:Credential.", failure);
        }

        var response = message.Response;
        var received = response.Content.ToMemory();
        var document = received.Length == 0 ? null : TryParse(received);
        if (response.Status is >= 200 and < 300 || response.Status == 404)
        {
            return new KeyVaultAnswer(response.Status, document, received);
        }

        using (document)
        {
            var code = ErrorCode(document);
            var refused = new AzureKeyVaultRequestException(_vault, operation, response.Status, code, Reason(response.Status, code));
            throw response.Status >= 500 ? Unavailable(refused) : refused;
        }
    }

    /// <summary>No answer, or a 5xx, after the pipeline's retries: the store is unavailable (transient), the request's failure inside.</summary>
    private VaultUnavailableException Unavailable(AzureKeyVaultRequestException failure) =>
        new($"Azure Key Vault {_vault}", failure.Message, failure);

    private static JsonDocument? TryParse(ReadOnlyMemory<byte> content)
    {
        try
        {
            return JsonDocument.Parse(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Key Vault's <c>{"error":{"code":..., "innererror":{"code":...}}}</c>, as "code" or "code/inner".</summary>
    internal static string? ErrorCode(JsonDocument? document)
    {
        if (document is null || !document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var code = error.TryGetProperty("code", out var value) ? value.GetString() : null;
        return error.TryGetProperty("innererror", out var inner) && inner.ValueKind == JsonValueKind.Object
               && inner.TryGetProperty("code", out var innerCode)
            ? $"{code}/{innerCode.GetString()}"
            : code;
    }

    private static string Reason(int status, string? code) => status switch
    {
        401 => "the platform's identity was not accepted (after following the vault's authentication challenge); check the credential.",
        403 => "the platform's identity lacks the permission for it (access policy or Key Vault RBAC role); not retried.",
        409 when code?.StartsWith("Conflict", StringComparison.Ordinal) == true =>
            "the name is held by a key that is deleted but recoverable; recover or purge it first.",
        409 => "the request conflicts with the vault's state.",
        429 => "the vault throttled the platform, still after the pipeline's retries (Retry-After honoured).",
        >= 500 => "the vault failed, still after the pipeline's retries.",
        _ => "the vault rejected the request.",
    };

    private sealed class KeyVaultClientOptions : ClientOptions;
}

/// <summary>
/// A 2xx or 404 answer: its status, its JSON body (null when there was none) and the bytes it was read from. Dispose it;
/// after <see cref="TakeSecretValue"/> disposing also zeroes those bytes.
/// </summary>
internal sealed class KeyVaultAnswer(int status, JsonDocument? body, ReadOnlyMemory<byte> content = default) : IDisposable
{
    private bool _secret;

    public int Status => status;

    public bool IsNotFound => Status == 404;

    public JsonElement Root => body?.RootElement ?? throw new InvalidOperationException("The vault's answer had no body.");

    /// <summary>
    /// The base64url <c>value</c> of a key operation that returns key material (unwrapkey), decoded from its UTF-8 bytes
    /// into an array the caller owns and zeroes; never a string. The answer's bytes are zeroed when it is disposed.
    /// </summary>
    public byte[] TakeSecretValue()
    {
        _secret = true;
        var value = Root.GetProperty("value");
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new InvalidOperationException("The vault's answer has no value.");
        }

        // The raw token with its quotes; base64url needs no JSON escapes, so an escaped value is not one Key Vault sends.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var encoded = raw[1..^1];
        if (encoded.Contains((byte)'\\'))
        {
            throw new InvalidOperationException("The vault's answer carries an escaped value, which base64url never needs.");
        }

        var decoded = new byte[Base64Url.GetMaxDecodedLength(encoded.Length)];
        if (Base64Url.DecodeFromUtf8(encoded, decoded, out _, out var written) != OperationStatus.Done)
        {
            CryptographicOperations.ZeroMemory(decoded);
            throw new InvalidOperationException("The vault's answer value is not base64url.");
        }

        if (written == decoded.Length)
        {
            return decoded;
        }

        var exact = decoded.AsSpan(0, written).ToArray();
        CryptographicOperations.ZeroMemory(decoded);
        return exact;
    }

    public void Dispose()
    {
        body?.Dispose();
        if (_secret)
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsMemory(content).Span);
        }
    }
}
