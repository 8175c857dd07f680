using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Messaging;
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

public sealed class TenantEncryptionEnabledConsumer(IDocumentStore store, TimeProvider time)
    : IdempotentConsumer<TenantEncryptionEnabled>(store, time)
{
    protected override async Task HandleAsync(ConsumeContext<TenantEncryptionEnabled> context, IDocumentSession session)
    {
        var status = await session.LoadAsync<TenantLockStatus>(context.Message.TenantId, context.CancellationToken)
                     ?? new TenantLockStatus { Id = context.Message.TenantId };
        status.FeatureEnabledAt = context.Message.EnabledAt;
        session.Store(status);
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
