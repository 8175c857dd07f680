using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Readiness of the relay (<c>/health/ready</c>, check <c>relay</c>): Degraded while its last page could not be
/// published and the subscription is paused to retry it, Healthy again once a page is published whole. The reason
/// names the relay and the kind of failure, never a message's content.</summary>
public sealed class IntegrationEventRelayHealth(TimeProvider time) : IHealthCheck
{
    public const string Name = "relay";
    private volatile string? pausedBecause;

    public void Paused(long floor, long ceiling, Exception failure) =>
        pausedBecause = $"{IntegrationEventRelay.SubscriptionName} paused at {time.GetUtcNow():O}: events {floor + 1}..{ceiling} " +
            $"not confirmed by the broker ({failure.GetType().Name}); retrying the page";

    public void Published() => pausedBecause = null;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(pausedBecause is { } reason
            ? HealthCheckResult.Degraded(reason)
            : HealthCheckResult.Healthy($"{IntegrationEventRelay.SubscriptionName} publishing"));
}
