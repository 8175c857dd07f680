using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.TenantLock.Facts;
using KeyPlatform.TenantLock.TenantLocks.Locking;
using KeyPlatform.TenantLock.TenantLocks.LockProgress;
using KeyPlatform.TenantLock.TenantLocks.Unlocking;
using Marten;
using Microsoft.AspNetCore.Mvc;
using KeyPlatform.ServiceDefaults.Protection;

namespace KeyPlatform.TenantLock.TenantLocks;

public static class TenantLockEndpoints
{
    private const long MaxUploadBytes = 256 * 1024;

    public static void MapTenantLocks(this IEndpointRouteBuilder routes)
    {
        var lockRoutes = routes.MapGroup("/v1/tenants/{tenantId}/regions/{region}");

        lockRoutes.MapGet("/lock/challenge", (HttpContext http, string tenantId, string region) =>
                http.RefuseUnlessReaderOf(tenantId) ?? Results.Ok(new { confirmationText = TenantLockDecider.ConfirmationText(tenantId, region) }))
            .WithName("GetLockChallenge").WithSummary("L1: the confirmation text to type back when locking");

        lockRoutes.MapPost("/lock", async (HttpContext http, string tenantId, string region) =>
            {
                if (await ReadKeyFormAsync(http) is not { } form) return InvalidForm();
                return await CommandEndpoints.Dispatch(http,
                    new RequestTenantLock(tenantId, region, form.Key, form.Fields["confirmationText"].ToString(), form.AcknowledgeRisk),
                    accepted => Results.Accepted($"/v1/tenants/{tenantId}/regions/{region}/lock", accepted));
            })
            .DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes + 64 * 1024))
            .RequireAbuseLimit(AbuseLimits.Lock).RequireTlsForKeyMaterial()
            .WithName("LockTenant")
            .WithSummary("L1-L5: lock every environment under the tenant key; multipart file (.pfx or .byok of the Active key), password, confirmationText, acknowledgeRisk");

        lockRoutes.MapPost("/lock/resume", (HttpContext http, string tenantId, string region) =>
                CommandEndpoints.Dispatch(http, new ResumeTenantLock(tenantId, region), _ => Results.Accepted()))
            .RequireAbuseLimit(AbuseLimits.Lock)
            .WithName("ResumeTenantLock").WithSummary("L5: ask again for the environments a lock has not locked yet");

        lockRoutes.MapPost("/unlock", async (HttpContext http, string tenantId, string region) =>
            {
                if (await ReadKeyFormAsync(http) is not { } form) return InvalidForm();
                return await CommandEndpoints.Dispatch(http, new UnlockTenantKey(tenantId, region, form.Key, form.AcknowledgeRisk),
                    _ => Results.Accepted($"/v1/tenants/{tenantId}/regions/{region}/lock"));
            })
            .DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes + 64 * 1024))
            .RequireAbuseLimit(AbuseLimits.Lock).RequireTlsForKeyMaterial()
            .WithName("UnlockTenantKey")
            .WithSummary("U1: re-upload the key that locked (multipart file, password, acknowledgeRisk); it installs and becomes Active");

        lockRoutes.MapGet("/lock", async (HttpContext http, string tenantId, string region, IQuerySession session, TenantLockRules rules) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var cycle = await session.CurrentCycleAsync(tenantId, region, http.RequestAborted);
                return cycle is null
                    ? QueryAccess.NotFound($"Tenant '{tenantId}' has never been locked in region '{region}'.")
                    : Results.Ok(LockProgressView.From(cycle, rules));
            })
            .WithName("GetLockProgress").WithSummary("S4: the progress of the tenant's latest lock in the region");

        routes.MapGet("/v1/tenants/{tenantId}/locks", async (HttpContext http, string tenantId, IQuerySession session, TenantLockRules rules) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                var cycles = await session.CyclesOfAsync(tenantId, http.RequestAborted);
                return Results.Ok(cycles.Select(c => LockProgressView.From(c, rules)));
            })
            .WithName("ListTenantLocks").WithSummary("S4: every lock cycle of the tenant, newest first");
    }

    private sealed record KeyForm(KeyFileUpload Key, IFormCollection Fields, bool AcknowledgeRisk);

    private static async Task<KeyForm?> ReadKeyFormAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType) return null;
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form.Files.GetFile("file") is not { Length: > 0 and <= MaxUploadBytes } file) return null;
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, http.RequestAborted);
        return new KeyForm(new KeyFileUpload(buffer.ToArray(), file.FileName, form["password"].FirstOrDefault()), form,
            bool.TryParse(form["acknowledgeRisk"], out var acknowledge) && acknowledge);
    }

    private static IResult InvalidForm() => Results.Problem(RefusalProblems.ToProblemDetails(Refusal.Invalid(
        $"Send multipart/form-data with a key file (form field 'file', at most {MaxUploadBytes} bytes), its password and acknowledgeRisk.")));
}
