using System.ComponentModel.DataAnnotations;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using Marten;
using KeyPlatform.ServiceDefaults.Protection;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;

/// <summary>D2: what a storage service gets: the plaintext data key (base64) and which key released it.</summary>
public sealed record ReleasedDataKey(string EnvironmentId, string DataKey, string DataKeyId, EnvironmentProtection Protection,
    string? TenantKeyId, string VaultKeyId, string VaultKeyVersion, bool FromCache, DateTimeOffset ReleasedAt)
{
    public override string ToString() => $"ReleasedDataKey {{ {EnvironmentId}, {DataKeyId}, key not shown }}";
}

public sealed record DataKeyReleaseView(DateTimeOffset ReleasedAt, string Caller, string Purpose, string DataKeyId,
    EnvironmentProtection Protection, string? TenantKeyId, string VaultKeyId, string VaultKeyVersion, bool FromCache);

public static class DataKeyReleaseEndpoints
{
    /// <summary>The releases one audit read lists (<c>?take=</c>), newest first: enforced by validation, published in the
    /// OpenAPI document.</summary>
    public const int DefaultTake = 100;
    public const int MaxTake = 1000;

    public static void MapDataKeyRelease(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/tenants/{tenantId}/environments/{environmentId}/data-key/release",
                async (HttpContext http, string tenantId, string environmentId, IDocumentStore store, DataKeyAccess access, TimeProvider time) =>
                {
                    var actor = Actor.FromClaims(http.User);
                    if ((actor is null ? Refusal.Unauthorized("The token carries no subject or tenant (tid) claim.") : actor.MustBeStorageService(tenantId))
                        is { } denied)
                        return RefusalProblems.ToResult(denied, time);

                    await using var session = store.LightweightSession();
                    session.LastModifiedBy = actor!.Subject;
                    var (refusal, lease) = await access.AcquireAsync(session, tenantId, environmentId, actor, "release", http.RequestAborted);
                    if (refusal is not null) return RefusalProblems.ToResult(refusal, time);
                    using (lease)
                    {
                        await session.SaveChangesAsync(http.RequestAborted);
                        var wrapped = lease!.Environment.DataKey!;
                        http.Response.Headers.CacheControl = "no-store";
                        return Results.Ok(new ReleasedDataKey(environmentId, Convert.ToBase64String(lease.Key), wrapped.DataKeyId,
                            wrapped.Protection, wrapped.TenantKeyId, wrapped.VaultKeyId, wrapped.VaultKeyVersion, lease.FromCache,
                            lease.Audit.ReleasedAt));
                    }
                })
            .RequireAbuseLimit(AbuseLimits.DataKeyRelease)
            .Produces<ReleasedDataKey>()
            .ProducesRefusals(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesNoIdempotencyKey()
            .WithName("ReleaseDataKey")
            .WithSummary("D2, E6: an environment's plaintext data key for a platform storage service; every release is audited");

        routes.MapGet("/v1/tenants/{tenantId}/environments/{environmentId}/data-key/releases",
                async (HttpContext http, string tenantId, string environmentId, IQuerySession session, TimeProvider time,
                    [Range(1, MaxTake)] int? take) =>
                {
                    var actor = Actor.FromClaims(http.User);
                    if ((actor is null ? Refusal.Unauthorized("The token carries no subject or tenant (tid) claim.")
                            : actor.IsOperator && actor.BelongsTo(tenantId) ? null : actor.MustAdministerEnvironment(tenantId, environmentId)) is { } denied)
                        return RefusalProblems.ToResult(denied, time);
                    var releases = await session.Query<DataKeyReleaseRecord>()
                        .Where(r => r.TenantId == tenantId && r.EnvironmentId == environmentId)
                        .OrderByDescending(r => r.ReleasedAt).Take(take ?? DefaultTake)
                        .ToListAsync(http.RequestAborted);
                    return Results.Ok(releases.Select(r => new DataKeyReleaseView(r.ReleasedAt, r.Caller, r.Purpose, r.DataKeyId,
                        r.Protection, r.TenantKeyId, r.VaultKeyId, r.VaultKeyVersion, r.FromCache)).ToList());
                })
            .Produces<IReadOnlyList<DataKeyReleaseView>>()
            .ProducesRefusals()
            .WithName("ListDataKeyReleases")
            .WithSummary($"D2: the audit of an environment's data-key releases, newest first (?take=, default {DefaultTake})");
    }
}
