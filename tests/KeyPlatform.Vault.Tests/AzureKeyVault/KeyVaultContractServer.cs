using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary>
/// An in-process server that answers the subset of the Key Vault REST API (keys, api-version 7.5) the adapter uses, as
/// Microsoft documents it: import (JWK or BYOK <c>key_hsm</c>), create, get, list keys and versions (paged by <c>nextLink</c>), wrapkey, unwrapkey, sign,
/// delete, get deleted, purge; with real RSA keys in memory. Requests need a bearer token (401 with Key Vault's
/// challenge otherwise), a known api-version (400), permission (403); a name held by a soft-deleted key is a 409; a
/// vault with purge protection refuses purges (403); faults (429 with Retry-After, 503) can be queued.
/// </summary>
/// <remarks>
/// The server is written from the REST reference, not from the adapter: it parses and writes JSON itself. It runs on
/// ASP.NET Core's TestServer, reached through the adapter's own Azure.Core pipeline with an https vault URI.
/// </remarks>
public sealed partial class KeyVaultContractServer : IAsyncDisposable
{
    public const string DefaultTenant = "platform-tenant";
    public const string Resource = "https://vault.azure.net";
    public static readonly Uri DefaultVaultUri = new("https://contoso-keys.vault.azure.net/");

    private const int MaxResultsLimit = 25;
    private static readonly string[] ApiVersions = ["7.5", "7.6"];
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<StoredVersion>> _keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DeletedEntry> _deleted = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<(int Status, int? RetryAfterSeconds)> _faults = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private KeyVaultContractServer(WebApplication app, Uri vaultUri)
    {
        _app = app;
        VaultUri = vaultUri;
    }

    public Uri VaultUri { get; }

    /// <summary>The tenant whose tokens the vault accepts; a token of another tenant gets the challenge naming this one.</summary>
    public string Tenant { get; set; } = DefaultTenant;

    /// <summary>Identities (the third part of a <see cref="ContractCredential"/> token) that have no permission on the vault.</summary>
    public HashSet<string> WithoutPermission { get; } = new(StringComparer.Ordinal);

    public bool PurgeProtection { get; set; }

    /// <summary>The resource a 401 challenge names; a test sets a foreign one to see the adapter refuse to follow it.</summary>
    public string ChallengeResource { get; set; } = Resource;

    /// <summary>GETs of /deletedkeys/{name} answered 404 after a delete, before the deleted key shows (eventual consistency).</summary>
    public int DeletedKeyShowsAfterGets { get; set; }

    /// <summary>
    /// DELETE /keys/{name} requests that delete the key but whose answer is lost (a gateway's 503): the pipeline retries and
    /// the retry finds the key gone (404).
    /// </summary>
    public int LostDeleteAnswers { get; set; }

    /// <summary>HTTP methods the identity may not use (403), e.g. DELETE for an identity without the delete permission.</summary>
    public HashSet<string> ForbiddenMethods { get; } = new(StringComparer.Ordinal);

    public IReadOnlyCollection<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>Items per page of a list when the request names no <c>maxresults</c> (Key Vault: 25, also the most a request
    /// may ask for); a test sets fewer to make lists span pages.</summary>
    public int PageSize { get; set; } = MaxResultsLimit;

    /// <summary>A host the server puts in <c>nextLink</c> instead of its own (a tampered answer), to see the adapter not follow it.</summary>
    public string? NextLinkHost { get; set; }

    /// <summary>How many pages of lists (/keys, /keys/{name}/versions) the server answered.</summary>
    public int ListPagesServed { get; private set; }

    public static async Task<KeyVaultContractServer> StartAsync(Uri? vaultUri = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new KeyVaultContractServer(app, vaultUri ?? DefaultVaultUri);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    /// <summary>The transport for the adapter's pipeline: requests to the vault URI reach this server in process.</summary>
    public HttpPipelineTransport Transport() => new HttpClientTransport(_app.GetTestServer().CreateHandler());

    public void QueueFault(int status, int? retryAfterSeconds = null) => _faults.Enqueue((status, retryAfterSeconds));

    /// <summary>Live and soft-deleted keys (names): what the vault stores.</summary>
    public long StoredKeyCount()
    {
        lock (_gate)
        {
            return _keys.Count + _deleted.Count;
        }
    }

    /// <summary>Whether any version of the key, live or soft-deleted, is still in the vault.</summary>
    public bool Holds(string keyId)
    {
        var name = new Uri(keyId).AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)[1];
        lock (_gate)
        {
            return _keys.ContainsKey(name) || _deleted.ContainsKey(name);
        }
    }

    public bool IsSoftDeleted(string name)
    {
        lock (_gate)
        {
            return _deleted.ContainsKey(name);
        }
    }

    /// <summary>
    /// What another process racing to create the same key leaves: a second version with the same tags, created in the
    /// same second, whose version id sorts first.
    /// </summary>
    public void AddRacingVersion(string name)
    {
        lock (_gate)
        {
            var versions = _keys[name];
            var first = versions[0];
            versions.Add(first with { Version = new string('0', 32), Rsa = RSA.Create(first.Rsa.KeySize) });
        }
    }

    /// <summary>Ends the eventual consistency: every deleted key shows in /deletedkeys from now on.</summary>
    public void ShowDeletedKeys()
    {
        lock (_gate)
        {
            foreach (var (name, entry) in _deleted.ToArray())
            {
                _deleted[name] = entry with { HiddenGets = 0 };
            }
        }
    }

    /// <summary>Puts a key in the soft-deleted state without the adapter (an operator deleted it in the portal).</summary>
    public void SoftDeleteByOperator(string name)
    {
        lock (_gate)
        {
            if (_keys.Remove(name, out var versions))
            {
                _deleted[name] = new DeletedEntry(versions, Now(), Now() + 90 * 86400, 0);
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var at = _clock.Elapsed;
        try
        {
            await AnswerAsync(context);
        }
        finally
        {
            _requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value ?? "", at, context.Response.StatusCode));
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var request = context.Request;
        if (_faults.TryDequeue(out var fault))
        {
            if (fault.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await Error(context, fault.Status, fault.Status == 429 ? "Throttled" : "ServiceUnavailable",
                fault.Status == 429
                    ? "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"
                    : "The service is temporarily unavailable.");
            return;
        }

        var apiVersion = request.Query["api-version"].ToString();
        if (!ApiVersions.Contains(apiVersion))
        {
            await Error(context, 400, "BadParameter", $"The specified version ({apiVersion}) is not recognized. Consider using the latest supported version (7.5).");
            return;
        }

        if (Authenticate(context) is not { } identity)
        {
            context.Response.Headers.WWWAuthenticate =
                $"Bearer authorization=\"https://login.microsoftonline.com/{Tenant}\", resource=\"{ChallengeResource}\"";
            await Error(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }

        if (WithoutPermission.Contains(identity) || ForbiddenMethods.Contains(request.Method))
        {
            await Error(context, 403, "Forbidden",
                $"The user, group or application 'appid={identity}' does not have keys permission on key vault '{VaultUri.Host}'.",
                "AccessDenied");
            return;
        }

        var body = request.ContentLength > 0 || request.Method is "PUT" or "POST" or "PATCH"
            ? await JsonNode.ParseAsync(request.Body) as JsonObject
            : null;
        var segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var (status, answer) = Dispatch(request.Method, segments, body, request.Query);
        if (request.Method == "DELETE" && segments is ["keys", _] && status == 200 && LostDeleteAnswers > 0)
        {
            LostDeleteAnswers--;
            await Error(context, 503, "ServiceUnavailable", "The service is temporarily unavailable.");
            return;
        }

        context.Response.StatusCode = status;
        if (answer is not null)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(answer.ToJsonString());
        }
    }

    /// <summary>The identity of a token <c>{tenant}|{scope}|{identity}</c>, or null when it is missing or not for this vault.</summary>
    private string? Authenticate(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = header["Bearer ".Length..].Split('|');
        return parts.Length == 3 && parts[0] == Tenant && parts[1] == $"{Resource}/.default" ? parts[2] : null;
    }

    private (int Status, JsonNode? Body) Dispatch(string method, string[] path, JsonObject? body, IQueryCollection query)
    {
        lock (_gate)
        {
            return (method, path) switch
            {
                ("GET", ["keys"]) => ListKeys(query),
                ("PUT", ["keys", var name]) => Import(name, body!),
                ("POST", ["keys", var name, "create"]) => Create(name, body!),
                ("GET", ["keys", var name, "versions"]) => ListVersions(name, query),
                ("GET", ["keys", var name]) => Get(name, null),
                ("GET", ["keys", var name, var version]) => Get(name, version),
                ("POST", ["keys", var name, var version, var operation]) => Operate(name, version, operation, body!),
                ("DELETE", ["keys", var name]) => Delete(name),
                ("GET", ["deletedkeys", var name]) => GetDeleted(name),
                ("DELETE", ["deletedkeys", var name]) => Purge(name),
                _ => ErrorBody(400, "BadParameter", "The request URI is not a Key Vault keys operation of this server."),
            };
        }
    }

    private (int, JsonNode?) Import(string name, JsonObject body)
    {
        if (NameRefusal(name) is { } refused)
        {
            return refused;
        }

        var jwk = body["key"] as JsonObject;
        var kty = jwk?["kty"]?.GetValue<string>();
        if (jwk is null || kty is not ("RSA" or "RSA-HSM"))
        {
            return ErrorBody(400, "BadParameter", "Property key.kty must be RSA or RSA-HSM for this server.");
        }

        RSA rsa;
        try
        {
            rsa = jwk["key_hsm"] is { } blob ? OpenByok(kty, Base64Url.DecodeFromChars(blob.GetValue<string>())) : FromJwk(jwk);
        }
        catch (Exception failure) when (failure is CryptographicException or FormatException or JsonException
                                            or InvalidOperationException or KeyNotFoundException)
        {
            return ErrorBody(400, "BadParameter", "The key material is invalid (key_hsm could not be unwrapped, or the JWK is not a valid RSA key).");
        }

        return AddVersion(name, rsa, kty, body);
    }

    private (int, JsonNode?) Create(string name, JsonObject body)
    {
        if (NameRefusal(name) is { } refused)
        {
            return refused;
        }

        var kty = body["kty"]?.GetValue<string>();
        var size = body["key_size"]?.GetValue<int>() ?? 2048;
        if (kty is not ("RSA" or "RSA-HSM") || size is not (2048 or 3072 or 4096))
        {
            return ErrorBody(400, "BadParameter", "kty must be RSA or RSA-HSM and key_size 2048, 3072 or 4096.");
        }

        return AddVersion(name, RSA.Create(size), kty, body);
    }

    private (int, JsonNode?)? NameRefusal(string name)
    {
        if (!KeyName().IsMatch(name))
        {
            return ErrorBody(400, "BadParameter", "The key name must match ^[0-9a-zA-Z-]{1,127}$.");
        }

        return _deleted.ContainsKey(name)
            ? ErrorBody(409, "Conflict",
                $"Key {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.")
            : null;
    }

    private (int, JsonNode?) AddVersion(string name, RSA rsa, string kty, JsonObject body)
    {
        var keyOps = (body["key_ops"] ?? body["key"]?["key_ops"]) is JsonArray ops
            ? ops.Select(op => op!.GetValue<string>()).ToArray()
            : ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
        var tags = body["tags"] is JsonObject given
            ? given.ToDictionary(tag => tag.Key, tag => tag.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        var attributes = body["attributes"] as JsonObject;
        var version = new StoredVersion(Guid.NewGuid().ToString("N"), rsa, kty, keyOps, tags, Now(),
            attributes?["exp"]?.GetValue<long>(), attributes?["enabled"]?.GetValue<bool>() ?? true);
        if (!_keys.TryGetValue(name, out var versions))
        {
            _keys[name] = versions = [];
        }

        versions.Add(version);
        return (200, Bundle(name, version));
    }

    /// <summary>GET /keys: each name once, as its base identifier (no version) with the latest version's attributes and tags.</summary>
    private (int, JsonNode?) ListKeys(IQueryCollection query) =>
        Page("keys", query, _keys.OrderBy(key => key.Key, StringComparer.OrdinalIgnoreCase).Select(key => (JsonNode)new JsonObject
        {
            ["kid"] = $"{VaultUri.GetLeftPart(UriPartial.Authority)}/keys/{key.Key}",
            ["attributes"] = Attributes(key.Value[^1]),
            ["tags"] = Tags(key.Value[^1]),
            ["managed"] = false,
        }).ToList());

    private (int, JsonNode?) ListVersions(string name, IQueryCollection query)
    {
        if (!_keys.TryGetValue(name, out var versions))
        {
            return NotFound(name);
        }

        return Page($"keys/{name}/versions", query, versions.Select(version => (JsonNode)new JsonObject
        {
            ["kid"] = Kid(name, version),
            ["attributes"] = Attributes(version),
            ["tags"] = Tags(version),
            ["managed"] = false,
        }).ToList());
    }

    /// <summary>
    /// One page of a list: <c>maxresults</c> (1 to 25, default 25; otherwise 400) items from the <c>$skiptoken</c> on, and a
    /// <c>nextLink</c> (absolute, with api-version, maxresults and the next skip token) while more are left, null at the end.
    /// </summary>
    private (int, JsonNode?) Page(string path, IQueryCollection query, List<JsonNode> all)
    {
        var size = Math.Min(PageSize, MaxResultsLimit);
        if (query.TryGetValue("maxresults", out var given))
        {
            if (!int.TryParse(given.ToString(), out size) || size is < 1 or > MaxResultsLimit)
            {
                return ErrorBody(400, "BadParameter", $"invalid maxresults: it must be between 1 and {MaxResultsLimit}.");
            }
        }

        var skip = 0;
        if (query.TryGetValue("$skiptoken", out var token)
            && (!int.TryParse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.ToString())), out skip) || skip < 0))
        {
            return ErrorBody(400, "BadParameter", "The skip token is not valid.");
        }

        var items = new JsonArray(all.Skip(skip).Take(size).ToArray());
        var next = skip + size < all.Count
            ? $"{(NextLinkHost is { } host ? $"https://{host}" : VaultUri.GetLeftPart(UriPartial.Authority))}/{path}?api-version={query["api-version"]}&$skiptoken=" +
              $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes((skip + size).ToString(System.Globalization.CultureInfo.InvariantCulture)))}" +
              $"&maxresults={size}"
            : null;
        ListPagesServed++;
        return (200, new JsonObject { ["value"] = items, ["nextLink"] = next });
    }

    private (int, JsonNode?) Get(string name, string? version) =>
        Find(name, version) is { } found ? (200, Bundle(name, found)) : NotFound(name);

    private (int, JsonNode?) Operate(string name, string version, string operation, JsonObject body)
    {
        if (Find(name, version) is not { } key)
        {
            return NotFound(name);
        }

        var permitted = operation switch
        {
            "wrapkey" => "wrapKey",
            "unwrapkey" => "unwrapKey",
            "sign" => "sign",
            _ => null,
        };
        if (permitted is null || !key.KeyOps.Contains(permitted))
        {
            return ErrorBody(403, "Forbidden", $"Operation {operation} is not permitted on this key.", "KeyOperationForbidden");
        }

        if (operation == "sign" && key.Expires is { } expires && Now() > expires)
        {
            return ErrorBody(400, "BadParameter", "The key is expired.");
        }

        var alg = body["alg"]?.GetValue<string>();
        byte[] value;
        try
        {
            value = Base64Url.DecodeFromChars(body["value"]!.GetValue<string>());
        }
        catch (FormatException)
        {
            return ErrorBody(400, "BadParameter", "value is not base64url.");
        }

        try
        {
            var result = operation switch
            {
                "wrapkey" => key.Rsa.Encrypt(value, Padding(alg)),
                "unwrapkey" => key.Rsa.Decrypt(value, Padding(alg)),
                _ when alg == "PS256" && value.Length == 32 => key.Rsa.SignHash(value, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
                _ => throw new CryptographicException("alg must be PS256 with a SHA-256 digest."),
            };
            return (200, new JsonObject { ["kid"] = Kid(name, key), ["value"] = Base64Url.EncodeToString(result) });
        }
        catch (CryptographicException)
        {
            return ErrorBody(400, "BadParameter", operation == "unwrapkey" ? "Error decrypting the value." : $"Invalid parameters for {operation}.");
        }
    }

    private (int, JsonNode?) Delete(string name)
    {
        if (!_keys.Remove(name, out var versions))
        {
            return NotFound(name);
        }

        var entry = new DeletedEntry(versions, Now(), Now() + 90 * 86400, DeletedKeyShowsAfterGets);
        _deleted[name] = entry;
        return (200, DeletedBundle(name, entry));
    }

    private (int, JsonNode?) GetDeleted(string name)
    {
        if (!_deleted.TryGetValue(name, out var entry))
        {
            return DeletedNotFound(name);
        }

        if (entry.HiddenGets > 0)
        {
            _deleted[name] = entry with { HiddenGets = entry.HiddenGets - 1 };
            return DeletedNotFound(name);
        }

        return (200, DeletedBundle(name, entry));
    }

    private (int, JsonNode?) Purge(string name)
    {
        if (!_deleted.TryGetValue(name, out _))
        {
            return DeletedNotFound(name);
        }

        if (PurgeProtection)
        {
            return ErrorBody(403, "Forbidden",
                "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.");
        }

        _deleted.Remove(name);
        return (204, null);
    }

    /// <summary>Key Vault's BYOK: the blob is the .byok JSON; its kid names a key-exchange key of this vault (key_ops import).</summary>
    private RSA OpenByok(string kty, byte[] blob)
    {
        if (kty != "RSA-HSM")
        {
            throw new InvalidOperationException("key_hsm needs kty RSA-HSM.");
        }

        var document = JsonNode.Parse(blob)!;
        var kid = new Uri(document["header"]!["kid"]!.GetValue<string>());
        var parts = kid.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (document["header"]!["enc"]!.GetValue<string>() != "CKM_RSA_AES_KEY_WRAP" || parts.Length != 3
            || Find(parts[1], parts[2]) is not { } kek || !kek.KeyOps.Contains("import"))
        {
            throw new InvalidOperationException("The blob is not wrapped for a key-exchange key of this vault.");
        }

        var ciphertext = Base64Url.DecodeFromChars(document["ciphertext"]!.GetValue<string>());
        var modulusBytes = kek.Rsa.KeySize / 8;
        var transportKey = kek.Rsa.Decrypt(ciphertext[..modulusBytes], RSAEncryptionPadding.OaepSHA1);
        using var aes = Aes.Create();
        aes.Key = transportKey;
        var pkcs8 = aes.DecryptKeyWrapPadded(ciphertext[modulusBytes..]);
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }

    private static RSA FromJwk(JsonObject jwk)
    {
        byte[] Part(string name) => Base64Url.DecodeFromChars(jwk[name]!.GetValue<string>());
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = Part("n"), Exponent = Part("e"), D = Part("d"), P = Part("p"), Q = Part("q"),
            DP = Part("dp"), DQ = Part("dq"), InverseQ = Part("qi"),
        });
        return rsa;
    }

    private static RSAEncryptionPadding Padding(string? alg) => alg switch
    {
        "RSA-OAEP-256" => RSAEncryptionPadding.OaepSHA256,
        "RSA-OAEP" => RSAEncryptionPadding.OaepSHA1,
        "RSA1_5" => RSAEncryptionPadding.Pkcs1,
        _ => throw new CryptographicException($"alg {alg} is not supported."),
    };

    private StoredVersion? Find(string name, string? version) =>
        _keys.TryGetValue(name, out var versions)
            ? version is null ? versions[^1] : versions.FirstOrDefault(found => found.Version == version)
            : null;

    private JsonObject Bundle(string name, StoredVersion version)
    {
        var parameters = version.Rsa.ExportParameters(false);
        return new JsonObject
        {
            ["key"] = new JsonObject
            {
                ["kid"] = Kid(name, version),
                ["kty"] = version.Kty,
                ["key_ops"] = new JsonArray(version.KeyOps.Select(op => (JsonNode)op).ToArray()),
                ["n"] = Base64Url.EncodeToString(parameters.Modulus),
                ["e"] = Base64Url.EncodeToString(parameters.Exponent),
            },
            ["attributes"] = Attributes(version),
            ["tags"] = Tags(version),
        };
    }

    private JsonObject DeletedBundle(string name, DeletedEntry entry)
    {
        var bundle = Bundle(name, entry.Versions[^1]);
        bundle["recoveryId"] = $"{VaultUri.GetLeftPart(UriPartial.Authority)}/deletedkeys/{name}";
        bundle["deletedDate"] = entry.DeletedDate;
        bundle["scheduledPurgeDate"] = entry.ScheduledPurgeDate;
        return bundle;
    }

    private JsonObject Attributes(StoredVersion version)
    {
        var attributes = new JsonObject
        {
            ["enabled"] = version.Enabled,
            ["created"] = version.Created,
            ["updated"] = version.Created,
            ["recoveryLevel"] = PurgeProtection ? "Recoverable" : "Recoverable+Purgeable",
            ["recoverableDays"] = 90,
        };
        if (version.Expires is { } expires)
        {
            attributes["exp"] = expires;
        }

        return attributes;
    }

    private static JsonObject Tags(StoredVersion version) =>
        new(version.Tags.Select(tag => KeyValuePair.Create(tag.Key, (JsonNode?)tag.Value)));

    private string Kid(string name, StoredVersion version) => $"{VaultUri.GetLeftPart(UriPartial.Authority)}/keys/{name}/{version.Version}";

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static (int, JsonNode?) NotFound(string name) =>
        ErrorBody(404, "KeyNotFound", $"A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.");

    private static (int, JsonNode?) DeletedNotFound(string name) =>
        ErrorBody(404, "KeyNotFound", $"Deleted Key not found: {name}");

    private static (int, JsonNode?) ErrorBody(int status, string code, string message, string? innerCode = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        if (innerCode is not null)
        {
            error["innererror"] = new JsonObject { ["code"] = innerCode };
        }

        return (status, new JsonObject { ["error"] = error });
    }

    private static async Task Error(HttpContext context, int status, string code, string message, string? innerCode = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(ErrorBody(status, code, message, innerCode).Item2!.ToJsonString());
    }

    [GeneratedRegex("^[0-9a-zA-Z-]{1,127}$")]
    private static partial Regex KeyName();

    public sealed record RecordedRequest(string Method, string Path, TimeSpan At, int Status);

    private sealed record StoredVersion(
        string Version, RSA Rsa, string Kty, string[] KeyOps, Dictionary<string, string> Tags, long Created, long? Expires, bool Enabled);

    private sealed record DeletedEntry(List<StoredVersion> Versions, long DeletedDate, long ScheduledPurgeDate, int HiddenGets);
}
