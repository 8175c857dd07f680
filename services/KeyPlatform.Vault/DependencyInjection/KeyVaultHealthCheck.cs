using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeyPlatform.Vault.DependencyInjection;

/// <summary>
/// Readiness of the key store (<c>/health/ready</c>, check <c>vault</c>): one call that reaches the store (the local
/// store's table, the PKCS#11 token, the Azure key vault) and the name of the store in the answer, so an operator sees
/// which store is down (<c>Local key store</c>, <c>Local key store (master key wrapped on PKCS#11 token 'x')</c>,
/// <c>Pkcs11 key store</c>, ...). The reason is the store's own message, which names settings, never a PIN, password or key.
/// </summary>
internal sealed class KeyVaultHealthCheck(string store, Func<CancellationToken, Task> probe) : IHealthCheck
{
    public const string Name = "vault";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await probe(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{store} reachable");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{store} unavailable: {e.Message}");
        }
    }

    /// <summary>The store's name in the answer: <c>{provider} key store</c>, and for the local store with a wrapped master key
    /// the token that unwraps it.</summary>
    public static string StoreName(VaultProvider provider, string? masterKeyToken = null) =>
        masterKeyToken is null ? $"{provider} key store" : $"{provider} key store (master key wrapped on PKCS#11 token '{masterKeyToken}')";

    /// <summary>Registers the check for <paramref name="store"/>, probing with the store the container holds.</summary>
    public static void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services, string store,
        Func<IServiceProvider, CancellationToken, Task> probe) =>
        Microsoft.Extensions.DependencyInjection.HealthCheckServiceCollectionExtensions.AddHealthChecks(services)
            .Add(new HealthCheckRegistration(Name, sp => new KeyVaultHealthCheck(store, cancellationToken => probe(sp, cancellationToken)),
                HealthStatus.Unhealthy, ["ready"]));
}
