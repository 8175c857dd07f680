using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys.Generating;
using KeyPlatform.KeyService.TenantKeys.Uploading;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Hosting;
using KeyPlatform.Vault;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using KeyPlatform.ServiceDefaults.Protection;

namespace KeyPlatform.KeyService.TenantKeys;

/// <summary>The HTTP edge of the key lifecycle. Shapes are checked here; every rule is checked by the handlers.</summary>
public static class TenantKeyEndpoints
{
    public sealed record GenerateRequest(
        [Required, StringLength(TenantKeyNames.MaxLength, MinimumLength = 1), RegularExpression(DisplayText.Pattern)] string? Name,
        [Required, StringLength(KeyUploads.MaxPasswordLength)] string? Password,
        [Required, StringLength(KeyUploads.MaxPasswordLength)] string? ConfirmPassword,
        bool AcknowledgeRisk);

    public sealed record ActivateRequest(bool AcknowledgeRisk);

    /// <summary>K4: a multipart form. <see cref="Password"/> goes with a .pfx; a .byok has none. Fields a form leaves
    /// out stay null (members, not constructor parameters, so the form binder does not require them).</summary>
    public sealed record UploadRequest
    {
        [Required, StringLength(TenantKeyNames.MaxLength, MinimumLength = 1), RegularExpression(DisplayText.Pattern)]
        public string? Name { get; init; }

        public IFormFile? File { get; init; }

        [StringLength(KeyUploads.MaxPasswordLength)]
        public string? Password { get; init; }

        public bool AcknowledgeRisk { get; init; }

        public override string ToString() => $"UploadRequest {{ {Name}, {File?.Length ?? 0} bytes }}";
    }

    public static void MapTenantKeys(this IEndpointRouteBuilder routes)
    {
        var keys = routes.MapGroup("/v1/tenants/{tenantId}/regions/{region}/keys");

        keys.MapPost("/generate", (HttpContext http, string tenantId, string region, GenerateRequest body) =>
                CommandEndpoints.Dispatch(http,
                    new GenerateTenantKey(tenantId, region, body.Name ?? "", body.Password ?? "", body.ConfirmPassword ?? "", body.AcknowledgeRisk),
                    response =>
                    {
                        var generated = (GeneratedTenantKey)response!;
                        http.Response.Headers["X-Key-Id"] = generated.KeyId;
                        http.Response.Headers["X-Key-Thumbprint"] = generated.Thumbprint;
                        http.Response.Headers.CacheControl = "no-store";
                        return Results.File(generated.Pfx, "application/x-pkcs12", $"{body.Name}.pfx");
                    }))
            .RequireAbuseLimit(AbuseLimits.KeyMaterial).RequireTlsForKeyMaterial()
            .Produces<Stream>(StatusCodes.Status200OK, "application/x-pkcs12")
            .ProducesRefusals(StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("GenerateTenantKey")
            .WithSummary("K3: generate an RSA-2048 key in the vault; the response is its password-protected .pfx, once");

        keys.MapPost("", async (HttpContext http, string tenantId, string region, [FromForm] UploadRequest form) =>
            {
                if (form.File is not { Length: > 0 } file)
                    return RefusalProblems.ToResult(new Refusal(KeyPlatform.Contracts.Rules.K2, "No key file was sent (form field 'file')."),
                        TimeProvider.System);
                if (file.Length > KeyUploads.MaxFileBytes)
                    return RefusalProblems.ToResult(new Refusal(KeyPlatform.Contracts.Rules.K2,
                        $"The key file is {file.Length} bytes; key files are at most {KeyUploads.MaxFileBytes} bytes."), TimeProvider.System);
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer, http.RequestAborted);
                var created = (object? response) => Results.Created(
                    $"/v1/tenants/{tenantId}/regions/{region}/keys/{((UploadedTenantKey)response!).KeyId}", response);
                return IsByok(file.FileName, buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
                    ? await CommandEndpoints.Dispatch(http, new UploadTenantKeyByok(tenantId, region, form.Name!, buffer.ToArray(), form.AcknowledgeRisk), created)
                    : await CommandEndpoints.Dispatch(http,
                        new UploadTenantKeyPfx(tenantId, region, form.Name!, buffer.ToArray(), form.Password, form.AcknowledgeRisk), created);
            })
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(KeyUploads.MaxRequestBytes),
                new RequestTooLargeRule(KeyPlatform.Contracts.Rules.K2, $"A key file is at most {KeyUploads.MaxFileBytes} bytes; the request is larger."))
            .RequireAbuseLimit(AbuseLimits.KeyMaterial).RequireTlsForKeyMaterial()
            .Produces<UploadedTenantKey>(StatusCodes.Status201Created)
            .ProducesRefusals(StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType)
            .WithName("UploadTenantKey")
            .WithSummary("K2, K4: upload a password-protected .pfx (field 'password') or a .byok, multipart form");

        keys.MapPost("/{keyId}/activate", (HttpContext http, string tenantId, string region, string keyId, ActivateRequest body) =>
                CommandEndpoints.Dispatch(http, new ActivateTenantKey(tenantId, region, keyId, body.AcknowledgeRisk),
                    response => response is TenantKeyAlreadyActive active
                        ? Results.Ok(active)
                        : Results.Accepted($"/v1/tenants/{tenantId}/regions/{region}/keys")))
            .Produces<TenantKeyAlreadyActive>()
            .Produces(StatusCodes.Status202Accepted)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType)
            .WithName("ActivateTenantKey")
            .WithSummary("K7: activate an Available key; it goes Installing (202), then Active; the Active key answers 200 with its state");

        routes.MapGet("/v1/regions/{region}/key-exchange-key", async (string region, IKeyVault vault, CancellationToken ct) =>
                Results.Ok(await vault.GetOrCreateKeyExchangeKeyAsync(region, ct)))
            .Produces<KeyExchangeKeyInfo>()
            .ProducesRefusals()
            .WithName("GetKeyExchangeKey")
            .WithSummary("K2: the region's key-exchange key (id and public key) to export a .byok for");
    }

    private static bool IsByok(string fileName, ReadOnlySpan<byte> content) =>
        fileName.EndsWith(".byok", StringComparison.OrdinalIgnoreCase)
        || (!fileName.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) && !fileName.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            && content.TrimStart(" \t\r\n"u8) is [(byte)'{', ..]);
}
