using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.Vault.Gateway;

/// <summary>
/// <see cref="IKeyVault"/> for a service that holds no vault secret: every call is one HTTP request to KeyService's vault
/// gateway (docs/decisions/0020-vault-gateway.md), which performs it on the real store. The gateway's answers become the
/// port's own: <see cref="VaultKeyNotFoundException"/>, <see cref="VaultKeyOwnershipException"/>, refused key files, a
/// <see cref="CryptographicException"/> for a failed unwrap, so callers do not change. Operations the gateway does not offer
/// throw <see cref="NotSupportedException"/>.
/// </summary>
public sealed class VaultGatewayKeyVault : IKeyVault
{
    private readonly HttpClient _http;
    private readonly string _client;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly Lock _infoLock = new();
    private string? _preferredAlgorithm;

    /// <param name="http">A client whose base address is the gateway and whose requests carry this client's credential
    /// (<see cref="VaultGatewayOptions.Authorization"/>); pooled by IHttpClientFactory.</param>
    /// <param name="client">The client name it authenticates as, for messages.</param>
    /// <param name="requestTimeout">The deadline of each request (the resilience attempt timeout); a gateway that accepts and
    /// never answers is then a <see cref="VaultUnavailableException"/>. Default: the attempt timeout's default.</param>
    /// <param name="time">The clock of that deadline.</param>
    public VaultGatewayKeyVault(HttpClient http, string client, TimeSpan? requestTimeout = null, TimeProvider? time = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _requestTimeout = requestTimeout ?? new Resilience.VaultResilienceOptions().AttemptTimeout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>What the gateway's store wraps with, asked once (<see cref="GetInfoAsync"/>) and then known.</summary>
    public string PreferredWrappingAlgorithm
    {
        get
        {
            if (_preferredAlgorithm is { } known) return known;
            // A synchronous property of the port: the first read waits for one request; the answer never changes.
            var info = GetInfoAsync(CancellationToken.None).GetAwaiter().GetResult();
            return info.Alg;
        }
    }

    /// <summary>The gateway's store and algorithm; also the readiness probe (it answers only when its store is reachable).</summary>
    public async Task<VaultGatewayInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, VaultGatewayProtocol.InfoPath, null, cancellationToken).ConfigureAwait(false);
        await ThrowUnlessSuccessAsync(response, "read its store", null, cancellationToken).ConfigureAwait(false);
        var info = await ReadAsync<VaultGatewayInfo>(response, cancellationToken).ConfigureAwait(false);
        lock (_infoLock) _preferredAlgorithm ??= info.Alg;
        return info;
    }

    public async Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        using var response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.PlatformKeysPath, new VaultGatewayPlatformKeyRequest(region),
            cancellationToken).ConfigureAwait(false);
        await ThrowUnlessSuccessAsync(response, "get the platform key", null, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync<VaultGatewayKeyInfo>(response, cancellationToken).ConfigureAwait(false)).ToInfo();
    }

    public async Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToWrap(plaintextKey);
        // The plaintext data key goes out as Key Vault's wrapKey takes it, from bytes that are zeroed once sent, never a string.
        var body = VaultGatewayEncoding.KeyOperationJson(key.KeyId, null, VaultGatewayOwner.From(key.Owner), key.Thumbprint, null,
            plaintextKey.Span);
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.WrapKeyPath, JsonBytes(body), cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(body);
        }

        using var _ = response;
        await ThrowUnlessSuccessAsync(response, "wrap", key, cancellationToken).ConfigureAwait(false);
        var result = await ReadAsync<VaultGatewayKeyOperationResult>(response, cancellationToken).ConfigureAwait(false);
        return new WrappedKey(result.Kid, result.Version, VaultGatewayEncoding.Decode(result.Value, "value"), result.Alg);
    }

    public async Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToUnwrap(wrappedKey);
        WrappingAlgorithm.Padding(algorithm);
        using var response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.UnwrapKeyPath,
            VaultGatewayKeyOperation.For(key, algorithm, wrappedKey.Span), cancellationToken).ConfigureAwait(false);
        await ThrowUnlessSuccessAsync(response, "unwrap", key, cancellationToken).ConfigureAwait(false);
        return await ReadUnwrappedAsync(response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        VaultArguments.TenantOwner(owner);
        VaultArguments.RequireTenantKeySize(privateKey);
        var parameters = privateKey.ExportParameters(includePrivateParameters: true);
        try
        {
            var request = new VaultGatewayImportRequest(name.Value, VaultGatewayOwner.From(owner), VaultGatewayJsonWebKey.From(parameters));
            using var response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.ImportPath, request, cancellationToken).ConfigureAwait(false);
            await ThrowUnlessSuccessAsync(response, "import a key", null, cancellationToken).ConfigureAwait(false);
            return (await ReadAsync<VaultGatewayKeyInfo>(response, cancellationToken).ConfigureAwait(false)).ToInfo();
        }
        finally
        {
            PrivateKeyParameters.Clear(parameters);
        }
    }

    public async Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, VaultKeyOwner owner, byte[] byokFile,
        string provedThumbprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(byokFile);
        VaultArguments.TenantOwner(owner);
        var request = new VaultGatewayImportByokRequest(name.Value, VaultGatewayOwner.From(owner), Base64Url.EncodeToString(byokFile),
            provedThumbprint);
        using var response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.ImportByokPath, request, cancellationToken).ConfigureAwait(false);
        if (await KeyFileRefusalAsync(response, cancellationToken).ConfigureAwait(false) is { } refusal) return refusal;
        await ThrowUnlessSuccessAsync(response, "import a .byok", null, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync<VaultGatewayKeyInfo>(response, cancellationToken).ConfigureAwait(false)).ToInfo();
    }

    public async Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(byte[] byokFile, string region,
        PossessionChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(byokFile);
        ArgumentNullException.ThrowIfNull(challenge);
        var request = new VaultGatewaySignByokChallengeRequest(Base64Url.EncodeToString(byokFile), region, challenge.Purpose,
            Base64Url.EncodeToString(challenge.Nonce));
        using var response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.SignByokChallengePath, request, cancellationToken)
            .ConfigureAwait(false);
        if (await KeyFileRefusalAsync(response, cancellationToken).ConfigureAwait(false) is { } refusal) return refusal;
        await ThrowUnlessSuccessAsync(response, "sign a .byok challenge", null, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync<VaultGatewayPossessionSignature>(response, cancellationToken).ConfigureAwait(false)).ToSignature();
    }

    /// <summary>Deletes a key this client imported (the gateway deletes no other key for it).</summary>
    public async Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        using var response = await SendAsync(HttpMethod.Post, VaultGatewayProtocol.DeletePath, new VaultGatewayDeleteRequest(keyId),
            cancellationToken).ConfigureAwait(false);
        await ThrowUnlessSuccessAsync(response, "delete a key", null, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync<VaultGatewayDeleted>(response, cancellationToken).ConfigureAwait(false)).Deleted;
    }

    public Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, VaultKeyOwner owner, string pfxPassword,
        CancellationToken cancellationToken = default) => throw Unsupported(nameof(GenerateAsync));

    public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        throw Unsupported(nameof(GetThumbprintAsync));

    public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) => throw Unsupported(nameof(ExistsAsync));

    public IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(CancellationToken cancellationToken = default) =>
        throw Unsupported(nameof(ListTenantKeysAsync));

    public Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default) =>
        throw Unsupported(nameof(GetStateAsync));

    public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
        throw Unsupported(nameof(GetOrCreateKeyExchangeKeyAsync));

    private NotSupportedException Unsupported(string operation) => new(
        $"The vault gateway does not offer {operation} to its clients ('{_client}'); only KeyService, which holds the store, does.");

    private static ByteArrayContent JsonBytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(method, path, body is null ? null : JsonContent.Create(body, body.GetType(), options: Json), cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Content = content;
        using var deadline = new CancellationTokenSource(_requestTimeout, _time);
        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limited.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VaultUnavailableException(Store, $"The vault gateway at {_http.BaseAddress} did not answer within {_requestTimeout}.", e);
        }
        catch (HttpRequestException e)
        {
            // The transport's own message names the address only; transient for the resilient decorator.
            throw new VaultUnavailableException(Store, $"The vault gateway at {_http.BaseAddress} cannot be reached: {e.Message}", e);
        }
    }

    /// <summary>A .byok refused by the store (K2): a value of the port, not an exception.</summary>
    private static async Task<KeyFileRefusal?> KeyFileRefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.UnprocessableEntity) return null;
        var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        return problem.Error == VaultGatewayError.KeyFileRefused ? new KeyFileRefusal(problem.Rule ?? Contracts.Rules.K2, problem.Detail) : null;
    }

    private async Task ThrowUnlessSuccessAsync(HttpResponseMessage response, string what, VaultKeyReference? key,
        CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        throw (response.StatusCode, problem.Error) switch
        {
            (HttpStatusCode.NotFound, VaultGatewayError.KeyNotFound) => new VaultKeyNotFoundException(problem.KeyId ?? key?.KeyId ?? "?"),
            (HttpStatusCode.Conflict, VaultGatewayError.KeyOwnership) when key is not null =>
                new VaultKeyOwnershipException(key, problem.Reason ?? problem.Detail),
            (HttpStatusCode.UnprocessableEntity, VaultGatewayError.UnwrapFailed) => new CryptographicException(problem.Detail),
            (HttpStatusCode.BadRequest, VaultGatewayError.InvalidArgument) => new ArgumentException(problem.Detail),
            (HttpStatusCode.Conflict, VaultGatewayError.InvalidOperation) => new InvalidOperationException(problem.Detail),
            (HttpStatusCode.Unauthorized, _) => new VaultGatewayRefusedException(
                $"The vault gateway did not accept the credential of client '{_client}' (Vault:Gateway:Client, Vault:Gateway:Secret)."),
            (HttpStatusCode.Forbidden, _) => new VaultGatewayRefusedException(
                $"The vault gateway does not let client '{_client}' {what}: {problem.Detail}"),
            (HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout, _) =>
                new VaultUnavailableException(problem.Store ?? Store, $"The vault gateway could not {what} ({(int)response.StatusCode}): {problem.Detail}"),
            _ => new VaultGatewayRefusedException($"The vault gateway could not {what} ({(int)response.StatusCode}): {problem.Detail}"),
        };
    }

    private static async Task<GatewayProblem> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            return new GatewayProblem(
                Text(root, VaultGatewayProtocol.ErrorExtension), Text(root, "rule"), Text(root, "detail") ?? Text(root, "title") ?? response.ReasonPhrase ?? "no reason given",
                Text(root, VaultGatewayProtocol.KeyIdExtension), Text(root, VaultGatewayProtocol.ReasonExtension),
                Text(root, VaultGatewayProtocol.StoreExtension));
        }
        catch (JsonException)
        {
            return new GatewayProblem(null, null, response.ReasonPhrase ?? "no reason given", null, null, null);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
        ?? throw new VaultGatewayRefusedException("The vault gateway answered with an empty body.");

    /// <summary>The plaintext data key is read from the answer's bytes, never as a .NET string (which could not be zeroed).</summary>
    private static async Task<UnwrappedKey> ReadUnwrappedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var plaintext = VaultGatewayEncoding.DecodeValue(body);
            var answer = JsonSerializer.Deserialize<VaultGatewayUnwrapped>(body, Json);
            if (answer is { Kid: not null, Version: not null }) return new UnwrappedKey(answer.Kid, answer.Version, plaintext);
            CryptographicOperations.ZeroMemory(plaintext);
            throw new VaultGatewayRefusedException("The vault gateway's unwrap answer lacks kid or version.");
        }
        catch (ArgumentException)
        {
            throw new VaultGatewayRefusedException("The vault gateway's unwrap answer has no base64url value.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(body);
        }
    }

    private sealed record VaultGatewayUnwrapped(string? Kid, string? Version);

    internal static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private sealed record GatewayProblem(string? Error, string? Rule, string Detail, string? KeyId, string? Reason, string? Store);

    /// <summary>What a <see cref="VaultUnavailableException"/> names when the gateway itself does not answer.</summary>
    private string Store => $"vault gateway {_http.BaseAddress}";
}

/// <summary>The vault gateway refused the call (credential, permission) or answered what the port does not know: an invalid
/// operation for this client, not transient.</summary>
public sealed class VaultGatewayRefusedException(string message) : InvalidOperationException(message);
