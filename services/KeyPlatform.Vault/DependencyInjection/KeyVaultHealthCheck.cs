using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeyPlatform.Vault.DependencyInjection;

/// <summary>
/// Readiness of the key store (<c>/health/ready</c>, check <c>vault</c>): one call that reaches the store (the local
/// store's table, the PKCS#11 token, the Azure key vault) and the name of the store in the answer, so an operator sees
/// which store is down. The reason is the store's own message, which names settings, never a PIN, password or key.
/// </summary>
internal sealed class KeyVaultHealthCheck(VaultProvider provider, Func<CancellationToken, Task> probe) : IHealthCheck
{
    public const string Name = "vault";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await probe(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{provider} key store reachable");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{provider} key store unavailable: {e.Message}");
        }
    }

    /// <summary>Registers the check for <paramref name="provider"/>, probing with the store the container holds.</summary>
    public static void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services, VaultProvider provider,
        Func<IServiceProvider, CancellationToken, Task> probe) =>
        Microsoft.Extensions.DependencyInjection.HealthCheckServiceCollectionExtensions.AddHealthChecks(services)
            .Add(new HealthCheckRegistration(Name, sp => new KeyVaultHealthCheck(provider, cancellationToken => probe(sp, cancellationToken)),
                HealthStatus.Unhealthy, ["ready"]));
}
