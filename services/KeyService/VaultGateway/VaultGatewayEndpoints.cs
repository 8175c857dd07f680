using System.Security.Cryptography;
using KeyPlatform.Contracts;
using Microsoft.AspNetCore.Authentication;
using KeyPlatform.ServiceDefaults.Protection;
using KeyPlatform.Vault;
using KeyPlatform.Vault.DependencyInjection;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Resilience;
using Microsoft.AspNetCore.Mvc;

namespace KeyPlatform.KeyService.VaultGateway;

/// <summary>
/// The vault gateway (docs/decisions/0020-vault-gateway.md): KeyService, the one process that holds the vault secret,
/// performs the vault calls of EnvironmentEncryption and TenantLock on its store. Internal: not in the public OpenAPI
/// document, HTTPS where key material must travel over TLS, each client authenticated by its own secret and allowed only
/// its operations (<see cref="VaultGatewayPermissions"/>). The port's answers travel as ProblemDetails that name them
/// (<see cref="VaultGatewayError"/>), so the client adapter gives its callers the same exceptions and results.
/// </summary>
public static class VaultGatewayEndpoints
{
    public static IServiceCollection AddVaultGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(VaultGatewayCredentials.FromConfiguration(configuration));
        services.AddSingleton<VaultGatewayImports>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, VaultGatewayAuthenticationHandler>(VaultGatewayAuthenticationHandler.SchemeName, null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var operation in Enum.GetValues<VaultGatewayOperation>())
            authorization.AddPolicy(VaultGatewayPermissions.PolicyFor(operation), policy => policy
                .AddAuthenticationSchemes(VaultGatewayAuthenticationHandler.SchemeName)
                .RequireClaim(VaultGatewayPermissions.OperationClaim, operation.ToString()));
        return services;
    }

    public static IEndpointRouteBuilder MapVaultGateway(this IEndpointRouteBuilder app)
    {
        var gateway = app.MapGroup("").ExcludeFromDescription().RequireTlsForKeyMaterial();
        // Any client: what the store wraps with; answered only while the store is reachable (the clients' readiness).
        gateway.MapGet(VaultGatewayProtocol.InfoPath, Info).RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(
            VaultGatewayAuthenticationHandler.SchemeName).RequireClaim(VaultGatewayPermissions.ClientClaim).Build());
        Operation(gateway.MapPost(VaultGatewayProtocol.PlatformKeysPath, PlatformKey), VaultGatewayOperation.GetPlatformKey);
        Operation(gateway.MapPost(VaultGatewayProtocol.WrapKeyPath, Wrap), VaultGatewayOperation.Wrap);
        Operation(gateway.MapPost(VaultGatewayProtocol.UnwrapKeyPath, Unwrap), VaultGatewayOperation.Unwrap);
        Operation(gateway.MapPost(VaultGatewayProtocol.ImportPath, Import), VaultGatewayOperation.Import);
        Operation(gateway.MapPost(VaultGatewayProtocol.ImportByokPath, ImportByok), VaultGatewayOperation.ImportByok);
        Operation(gateway.MapPost(VaultGatewayProtocol.SignByokChallengePath, SignByokChallenge), VaultGatewayOperation.SignByokChallenge);
        Operation(gateway.MapPost(VaultGatewayProtocol.DeletePath, Delete), VaultGatewayOperation.DeleteImported);
        return app;
    }

    private static void Operation(RouteHandlerBuilder endpoint, VaultGatewayOperation operation) =>
        endpoint.WithMetadata(new VaultGatewayOperationMetadata(operation)).RequireAuthorization(VaultGatewayPermissions.PolicyFor(operation));

    private static Task<IResult> Info(IKeyVault vault, IConfiguration configuration, CancellationToken cancellationToken) => Answer(async () =>
    {
        await vault.ExistsAsync("readiness-probe", cancellationToken);
        return Results.Ok(new VaultGatewayInfo(configuration[VaultProviderSetting] ?? nameof(VaultProvider.Local), vault.PreferredWrappingAlgorithm));
    });

    private const string VaultProviderSetting = "Vault:Provider";

    private static Task<IResult> PlatformKey(VaultGatewayPlatformKeyRequest request, IKeyVault vault, CancellationToken cancellationToken) =>
        Answer(async () => Results.Ok(VaultGatewayKeyInfo.From(await vault.GetOrCreatePlatformKeyAsync(Required(request?.Region, "region"), cancellationToken))));

    /// <summary>The request is read as bytes: the plaintext data key is decoded from them, never held as a string, and zeroed.</summary>
    private static async Task<IResult> Wrap(HttpRequest http, IKeyVault vault, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(http, cancellationToken);
        byte[]? plaintext = null;
        try
        {
            return await Answer(async () =>
            {
                var request = System.Text.Json.JsonSerializer.Deserialize<VaultGatewayKeyReference>(body, Json)
                              ?? throw new ArgumentException("The request has no body.");
                plaintext = VaultGatewayEncoding.DecodeValue(body);
                var wrapped = await vault.WrapAsync(request.Reference, plaintext, cancellationToken);
                return Results.Ok(new VaultGatewayKeyOperationResult(wrapped.KeyId, wrapped.Version, wrapped.Algorithm,
                    System.Buffers.Text.Base64Url.EncodeToString(wrapped.Ciphertext)));
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(body);
            if (plaintext is not null) CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The answer carries the plaintext data key as Key Vault's unwrapKey does, written from bytes that are zeroed.</summary>
    private static Task<IResult> Unwrap(VaultGatewayKeyOperation request, IKeyVault vault, CancellationToken cancellationToken) => Answer(async () =>
    {
        Required(request?.Kid, "kid");
        var ciphertext = VaultGatewayEncoding.Decode(request!.Value, "value");
        using var unwrapped = await vault.UnwrapAsync(request.Reference, ciphertext, Required(request.Alg, "alg"), cancellationToken);
        return new ZeroedJson(VaultGatewayEncoding.KeyOperationJson(unwrapped.KeyId, unwrapped.Version, null, null, request.Alg,
            unwrapped.PlaintextKey));
    });

    private static Task<IResult> Import(VaultGatewayImportRequest request, IKeyVault vault, VaultGatewayImports imports, HttpContext http,
        ILogger<VaultGatewayImports> logger, CancellationToken cancellationToken) => Answer(async () =>
    {
        var key = request?.Key ?? throw new ArgumentException("The request has no key.");
        using var rsa = key.ToRsa();
        var info = await vault.ImportAsync(new VaultKeyName(Required(request!.Name, "name")), Owner(request.Owner), rsa, cancellationToken);
        return await RecordedAsync(vault, imports, logger, info, Client(http));
    });

    private static Task<IResult> ImportByok(VaultGatewayImportByokRequest request, IKeyVault vault, VaultGatewayImports imports, HttpContext http,
        ILogger<VaultGatewayImports> logger, CancellationToken cancellationToken) => Answer(async () =>
    {
        var byok = VaultGatewayEncoding.Decode(request?.Byok, "byok");
        var imported = await vault.ImportByokAsync(new VaultKeyName(Required(request!.Name, "name")), Owner(request.Owner), byok,
            Required(request.Thumbprint, "thumbprint"), cancellationToken);
        if (imported.IsRefused) return Refused(imported.Refusal!);
        return await RecordedAsync(vault, imports, logger, imported.Value, Client(http));
    });

    /// <summary>An import answers only once its ownership record is stored: a key the client cannot later delete must not be
    /// left behind. If the record fails, the key is deleted again (best effort; what stays is an orphan the reconciliation
    /// of decision 0016 removes) and the answer is a 503: nothing was imported, the client may try again.</summary>
    private static async Task<IResult> RecordedAsync(IKeyVault vault, VaultGatewayImports imports, ILogger logger, VaultKeyInfo info,
        string client)
    {
        try
        {
            await imports.RecordAsync(info.KeyId, client, CancellationToken.None);
            return Results.Ok(VaultGatewayKeyInfo.From(info));
        }
        catch (Exception recordFailure)
        {
            try
            {
                await vault.DeleteAsync(info.KeyId, CancellationToken.None);
            }
            catch (Exception deleteFailure)
            {
                // Types only: a lower layer's message is not ours to vouch for.
                logger.LogWarning(
                    "Vault key {VaultKeyId} imported for client {Client} could not be recorded ({RecordFailure}) nor deleted again ({DeleteFailure}); the orphan reconciliation will remove it.",
                    info.KeyId, client, recordFailure.GetType().Name, deleteFailure.GetType().Name);
                return Unavailable("The import could not be recorded and its key could not be deleted again; try again.", null);
            }

            logger.LogWarning("Vault key {VaultKeyId} imported for client {Client} could not be recorded ({RecordFailure}); deleted again.",
                info.KeyId, client, recordFailure.GetType().Name);
            return Unavailable("The import could not be recorded, so its key was deleted again; nothing was imported. Try again.", null);
        }
    }

    private static Task<IResult> SignByokChallenge(VaultGatewaySignByokChallengeRequest request, IKeyVault vault,
        CancellationToken cancellationToken) => Answer(async () =>
    {
        var byok = VaultGatewayEncoding.Decode(request?.Byok, "byok");
        var challenge = PossessionChallenge.Received(Required(request!.Purpose, "purpose"), VaultGatewayEncoding.Decode(request.Nonce, "nonce"));
        var signed = await vault.SignByokChallengeAsync(byok, Required(request.Region, "region"), challenge, cancellationToken);
        return signed.IsRefused ? Refused(signed.Refusal!) : Results.Ok(VaultGatewayPossessionSignature.From(signed.Value));
    });

    /// <summary>A client deletes only a key it imported through the gateway (TenantLock: the key of a refused unlock).</summary>
    private static Task<IResult> Delete(VaultGatewayDeleteRequest request, IKeyVault vault, VaultGatewayImports imports, HttpContext http,
        CancellationToken cancellationToken) => Answer(async () =>
    {
        var keyId = Required(request?.Kid, "kid");
        var client = Client(http);
        if (!await imports.ImportedByAsync(keyId, client, cancellationToken))
            return DeleteForbidden($"Client '{client}' deletes only keys it imported through the vault gateway; '{keyId}' is not one.");
        // After a successful unlock the import is the ring's live key (U1): deleting it would destroy the tenant's key.
        if (await imports.NamedByAKeyRingAsync(keyId, cancellationToken))
            return DeleteForbidden($"'{keyId}' was imported by client '{client}' but a tenant key ring has taken it in; only KeyService deletes it.");

        // The record stays: a repeated delete of the same key answers false, as the port says.
        var deleted = await vault.DeleteAsync(keyId, cancellationToken);
        return Results.Ok(new VaultGatewayDeleted(deleted));
    });

    private static IResult DeleteForbidden(string detail)
    {
        var problem = new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Not allowed for this vault gateway client", Detail = detail };
        problem.Extensions["rule"] = Rules.Authorization;
        return Results.Problem(problem);
    }

    /// <summary>The port's answers that are not values, as ProblemDetails that name them; a store that stays unavailable after
    /// the store's own retries is a 503 the client retries (idempotent calls only).</summary>
    private static async Task<IResult> Answer(Func<Task<IResult>> call)
    {
        try
        {
            return await call();
        }
        catch (VaultKeyNotFoundException e)
        {
            return Problem(StatusCodes.Status404NotFound, Rules.NotFound, VaultGatewayError.KeyNotFound, e.Message,
                (VaultGatewayProtocol.KeyIdExtension, e.KeyId));
        }
        catch (VaultKeyOwnershipException e)
        {
            return Problem(StatusCodes.Status409Conflict, Rules.K1, VaultGatewayError.KeyOwnership, e.Message,
                (VaultGatewayProtocol.ReasonExtension, e.Reason));
        }
        catch (CryptographicException)
        {
            // The store's message is not repeated: it is about key material.
            return Problem(StatusCodes.Status422UnprocessableEntity, Rules.D1, VaultGatewayError.UnwrapFailed,
                "The wrapped key does not unwrap with this key and algorithm.");
        }
        catch (InvalidOperationException e)
        {
            // What the store refuses to do with a key (delete a platform key, wrap with a key-exchange key).
            return Problem(StatusCodes.Status409Conflict, Rules.Validation, VaultGatewayError.InvalidOperation, e.Message);
        }
        catch (ArgumentException e)
        {
            return Problem(StatusCodes.Status400BadRequest, Rules.Validation, VaultGatewayError.InvalidArgument, e.Message);
        }
        catch (System.Text.Json.JsonException e)
        {
            // A body read apart (wrap): the reader's own message may quote the body, which holds a data key; only the path is told.
            return Problem(StatusCodes.Status400BadRequest, Rules.Validation, VaultGatewayError.InvalidArgument,
                $"The request body is not valid JSON for this operation (at {e.Path ?? "$"}).");
        }
        catch (VaultUnavailableException e)
        {
            return Unavailable(e.Message, e.Store);
        }
        catch (Exception e) when (ResilientKeyVault.IsTransient(e))
        {
            return Unavailable($"The key store is unavailable ({e.GetType().Name}).", null);
        }
    }

    private static IResult Unavailable(string detail, string? store)
    {
        var problem = Problem(StatusCodes.Status503ServiceUnavailable, Rules.VaultUnavailable, VaultGatewayError.StoreUnavailable, detail,
            store is null ? [] : [(VaultGatewayProtocol.StoreExtension, store)]);
        return new RetryAfter(problem);
    }

    /// <summary>A 503 that says when to try again (<see cref="VaultUnavailableProblems.RetryAfterSeconds"/>).</summary>
    private sealed class RetryAfter(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = VaultUnavailableProblems.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }

    private static IResult Refused(KeyFileRefusal refusal) =>
        Problem(StatusCodes.Status422UnprocessableEntity, refusal.Rule, VaultGatewayError.KeyFileRefused, refusal.Reason);

    private static IResult Problem(int status, string? rule, string error, string detail, params (string Name, string Value)[] extensions)
    {
        var problem = new ProblemDetails { Status = status, Title = "Vault gateway refusal", Detail = detail };
        if (rule is not null) problem.Extensions["rule"] = rule;
        problem.Extensions[VaultGatewayProtocol.ErrorExtension] = error;
        foreach (var (name, value) in extensions) problem.Extensions[name] = value;
        return Results.Problem(problem);
    }

    private static VaultKeyOwner Owner(VaultGatewayOwner? owner) =>
        (owner ?? throw new ArgumentException("The request names no owner.")).ToOwner();

    private static string Required(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"'{field}' is required.", field) : value;

    private static string Client(HttpContext http) =>
        http.User.FindFirst(VaultGatewayPermissions.ClientClaim)?.Value ?? throw new InvalidOperationException("No vault gateway client.");

    private static async Task<byte[]> ReadBodyAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await http.Body.CopyToAsync(buffer, cancellationToken);
        var body = buffer.ToArray();
        CryptographicOperations.ZeroMemory(buffer.GetBuffer());
        return body;
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>A wrapKey request without its value (read apart, as bytes).</summary>
    private sealed record VaultGatewayKeyReference(string? Kid, VaultGatewayOwner? Owner, string? Thumbprint)
    {
        public VaultKeyReference Reference => VaultGatewayOwner.Reference(Kid, Owner, Thumbprint);
    }

    /// <summary>JSON written from bytes that are zeroed once sent.</summary>
    private sealed class ZeroedJson(byte[] body) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            try
            {
                httpContext.Response.ContentType = "application/json";
                httpContext.Response.ContentLength = body.Length;
                await httpContext.Response.Body.WriteAsync(body);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(body);
            }
        }
    }
}
