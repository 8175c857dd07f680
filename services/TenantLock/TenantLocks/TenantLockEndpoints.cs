using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.TenantLock.Facts;
using KeyPlatform.TenantLock.TenantLocks.Locking;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using KeyPlatform.TenantLock.TenantLocks.Unlocking;
using Marten;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using KeyPlatform.ServiceDefaults.Protection;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>L1: the text the admin types back to confirm a lock.</summary>
public sealed record LockChallenge(string ConfirmationText);

public static class TenantLockEndpoints
{
    /// <summary>Longer than any confirmation text (<see cref="TenantLockDecider.ConfirmationText"/>).</summary>
    public const int MaxConfirmationLength = 256;

    public static void MapTenantLocks(this IEndpointRouteBuilder routes)
    {
        var lockRoutes = routes.MapGroup("/v1/tenants/{tenantId}/regions/{region}");

        lockRoutes.MapGet("/lock/challenge", (HttpContext http, string tenantId, string region) =>
                http.RefuseUnlessReaderOf(tenantId) ?? Results.Ok(new LockChallenge(TenantLockDecider.ConfirmationText(tenantId, region))))
            .Produces<LockChallenge>()
            .ProducesRefusals()
            .WithName("GetLockChallenge").WithSummary("L1: the confirmation text to type back when locking");

        lockRoutes.MapPost("/lock", async (HttpContext http, string tenantId, string region, [FromForm] LockRequest form) =>
            {
                if (await KeyFileAsync(http, form.File, form.Password) is not { } key) return InvalidForm();
                return await CommandEndpoints.Dispatch(http,
                    new RequestTenantLock(tenantId, region, key, form.ConfirmationText ?? "", form.AcknowledgeRisk),
                    accepted => Results.Accepted($"/v1/tenants/{tenantId}/regions/{region}/lock", accepted));
            })
            .DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(KeyUploads.MaxRequestBytes))
            .RequireAbuseLimit(AbuseLimits.Lock).RequireTlsForKeyMaterial()
            .Produces<LockAccepted>(StatusCodes.Status202Accepted)
            .ProducesRefusals(StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType)
            .WithName("LockTenant")
            .WithSummary("L1-L5: lock every environment under the tenant key; multipart file (.pfx or .byok of the Active key), password, confirmationText, acknowledgeRisk");

        lockRoutes.MapPost("/lock/resume", (HttpContext http, string tenantId, string region) =>
                CommandEndpoints.Dispatch(http, new ResumeTenantLock(tenantId, region), _ => Results.Accepted()))
            .RequireAbuseLimit(AbuseLimits.Lock)
            .Produces(StatusCodes.Status202Accepted)
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ResumeTenantLock").WithSummary("L5: ask again for the environments a lock has not locked yet");

        lockRoutes.MapPost("/unlock", async (HttpContext http, string tenantId, string region, [FromForm] UnlockRequest form) =>
            {
                if (await KeyFileAsync(http, form.File, form.Password) is not { } key) return InvalidForm();
                return await CommandEndpoints.Dispatch(http, new UnlockTenantKey(tenantId, region, key, form.AcknowledgeRisk),
                    _ => Results.Accepted($"/v1/tenants/{tenantId}/regions/{region}/lock"));
            })
            .DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(KeyUploads.MaxRequestBytes))
            .RequireAbuseLimit(AbuseLimits.Lock).RequireTlsForKeyMaterial()
            .Produces(StatusCodes.Status202Accepted)
            .ProducesRefusals(StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType)
            .WithName("UnlockTenantKey")
            .WithSummary("U1: re-upload the key that locked (multipart file, password, acknowledgeRisk); it installs and becomes Active");

        lockRoutes.MapGet("/lock", async (HttpContext http, string tenantId, string region, IQuerySession session, TenantLockRules rules) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var progress = await session.CurrentProgressAsync(tenantId, region, http.RequestAborted);
                return progress is null
                    ? QueryAccess.NotFound($"Tenant '{tenantId}' has never been locked in region '{region}'.")
                    : Results.Ok(await session.ViewAsync(progress, rules, http.RequestAborted));
            })
            .Produces<LockProgressView>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetLockProgress").WithSummary("S4: the progress of the tenant's latest lock in the region");

        routes.MapGet("/v1/tenants/{tenantId}/locks", async (HttpContext http, string tenantId, IQuerySession session, TenantLockRules rules) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var cycles = await session.CyclesOfAsync(tenantId, http.RequestAborted);
                var views = new List<LockProgressView>(cycles.Count);
                foreach (var progress in cycles) views.Add(await session.ViewAsync(progress, rules, http.RequestAborted));
                return Results.Ok(views);
            })
            .Produces<IReadOnlyList<LockProgressView>>()
            .ProducesRefusals()
            .WithName("ListTenantLocks").WithSummary("S4: every lock cycle of the tenant, newest first");
    }

    /// <summary>L1: the Active key's file (.pfx or .byok) and password, and the confirmation text typed back. Fields a
    /// form leaves out stay null (members, not constructor parameters, so the form binder does not require them).</summary>
    public sealed record LockRequest
    {
        public IFormFile? File { get; init; }

        [StringLength(KeyUploads.MaxPasswordLength)]
        public string? Password { get; init; }

        [StringLength(MaxConfirmationLength)]
        public string? ConfirmationText { get; init; }

        public bool AcknowledgeRisk { get; init; }

        public override string ToString() => $"LockRequest {{ {File?.Length ?? 0} bytes }}";
    }

    /// <summary>U1: the file (.pfx or .byok) and password of the key that locked.</summary>
    public sealed record UnlockRequest
    {
        public IFormFile? File { get; init; }

        [StringLength(KeyUploads.MaxPasswordLength)]
        public string? Password { get; init; }

        public bool AcknowledgeRisk { get; init; }

        public override string ToString() => $"UnlockRequest {{ {File?.Length ?? 0} bytes }}";
    }

    private static async Task<KeyFileUpload?> KeyFileAsync(HttpContext http, IFormFile? file, string? password)
    {
        if (file is not { Length: > 0 and <= KeyUploads.MaxFileBytes }) return null;
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, http.RequestAborted);
        return new KeyFileUpload(buffer.ToArray(), file.FileName, password);
    }

    private static IResult InvalidForm() => Results.Problem(RefusalProblems.ToProblemDetails(Refusal.Invalid(
        $"Send multipart/form-data with a key file (form field 'file', at most {KeyUploads.MaxFileBytes} bytes), its password and acknowledgeRisk.")));
}
