using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace KeyPlatform.EnvironmentEncryption.Tenants;

/// <summary>Stream <c>tenant-facts:{tenantId}</c>: what this service learned of a tenant from KeyService's
/// integration events. T2 eligibility is decided against <see cref="EnabledAt"/>.</summary>
public sealed record TenantFacts(string TenantId, DateTimeOffset EnabledAt)
{
    public static string StreamKey(string tenantId) => $"tenant-facts:{tenantId}";

    public static TenantFacts Create(TenantFeatureEnabled enabled) => new(enabled.TenantId, enabled.EnabledAt);
}

/// <summary>The feature was turned on for the tenant (learned from KeyService).</summary>
public sealed record TenantFeatureEnabled(string TenantId, DateTimeOffset EnabledAt);

public sealed class TenantEncryptionEnabledConsumer(IDocumentStore store, TimeProvider time)
    : IdempotentConsumer<TenantEncryptionEnabled>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<TenantEncryptionEnabled> context, IDocumentSession session)
    {
        var message = context.Message;
        session.Events.Append(TenantFacts.StreamKey(message.TenantId), new TenantFeatureEnabled(message.TenantId, message.EnabledAt));
        return Task.CompletedTask;
    }
}

public static class TenantFactsEndpoints
{
    public static void MapTenantFacts(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/tenants/{tenantId}/facts", async (HttpContext http, string tenantId, IQuerySession session) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                return await session.Events.AggregateStreamAsync<TenantFacts>(TenantFacts.StreamKey(tenantId)) is { } facts
                    ? Results.Ok(facts)
                    : QueryAccess.NotFound($"Nothing is known of tenant '{tenantId}'.");
            })
            .WithName("GetTenantFacts");
}
