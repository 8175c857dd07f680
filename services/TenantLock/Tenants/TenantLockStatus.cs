using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.TenantLock.TenantLocks;
using Marten;
using MassTransit;

namespace KeyPlatform.TenantLock.Tenants;

/// <summary>The saga's view of a tenant: known once the feature is on; later issues add the current lock cycle.</summary>
public sealed class TenantLockStatus
{
    public string Id { get; set; } = "";
    public DateTimeOffset FeatureEnabledAt { get; set; }
    public string? CurrentLockCycle { get; set; }
}

/// <summary>The feature turned on for a tenant (T1), kept in the order of KeyService's tenant stream (decision 0029).</summary>
public sealed class TenantEncryptionEnabledConsumer(LockCycles cycles) : IConsumer<TenantEncryptionEnabled>
{
    public Task Consume(ConsumeContext<TenantEncryptionEnabled> context)
    {
        var enabled = context.Message;
        var source = SourceStreamVersion.Of(context);
        return cycles.RecordAsync(BusCommandContext.From(context), async (session, ct) =>
        {
            if (!await session.TryApplySourceVersionAsync(nameof(TenantLockStatus), source, ct)) return false;
            var status = await session.LoadAsync<TenantLockStatus>(enabled.TenantId, ct) ?? new TenantLockStatus { Id = enabled.TenantId };
            status.FeatureEnabledAt = enabled.EnabledAt;
            session.Store(status);
            return true;
        }, context.CancellationToken);
    }
}

public static class TenantLockStatusEndpoints
{
    public static void MapTenantLockStatus(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/tenants/{tenantId}/lock-status", async (HttpContext http, string tenantId, IQuerySession session) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                return await session.LoadAsync<TenantLockStatus>(tenantId) is { } status
                    ? Results.Ok(status)
                    : QueryAccess.NotFound($"Nothing is known of tenant '{tenantId}'.");
            })
            .Produces<TenantLockStatus>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetTenantLockStatus");
}
