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
/// answer; every other status throws <see cref="AzureKeyVaultRequestException"/>.
/// </summary>
internal sealed class KeyVaultRestClient
{
    private readonly HttpPipeline _pipeline;
    private readonly Uri _vault;
    private readonly string _apiVersion;

    public KeyVaultRestClient(AzureKeyVaultOptions options, TokenCredential credential)
    {
        _vault = options.VaultUri!;
        _apiVersion = options.ApiVersion;
        var clientOptions = new KeyVaultClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.Delay = options.RetryDelay;
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

        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException failure)
        {
            throw new AzureKeyVaultRequestException(_vault, operation, failure.Status, null,
                "the vault could not be reached (after the pipeline's retries).", failure);
        }
        catch (AuthenticationFailedException failure)
        {
            throw new AzureKeyVaultRequestException(_vault, operation, 0, null,
                $"the credential could not get a token ({failure.GetType().Name}); check {AzureKeyVaultOptions.SectionName}:Credential.", failure);
        }

        var response = message.Response;
        var document = response.Content.ToMemory().Length == 0 ? null : TryParse(response.Content.ToMemory());
        if (response.Status is >= 200 and < 300 || response.Status == 404)
        {
            return new KeyVaultAnswer(response.Status, document);
        }

        using (document)
        {
            var code = ErrorCode(document);
            throw new AzureKeyVaultRequestException(_vault, operation, response.Status, code, Reason(response.Status, code));
        }
    }

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

/// <summary>A 2xx or 404 answer: its status and its JSON body (null when there was none). Dispose it.</summary>
internal sealed record KeyVaultAnswer(int Status, JsonDocument? Body) : IDisposable
{
    public bool IsNotFound => Status == 404;

    public JsonElement Root => Body?.RootElement ?? throw new InvalidOperationException("The vault's answer had no body.");

    public void Dispose() => Body?.Dispose();
}
