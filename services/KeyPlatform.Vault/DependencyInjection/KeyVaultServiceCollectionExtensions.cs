using KeyPlatform.Contracts;
using KeyPlatform.Vault.AzureKeyVault;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Pkcs11;
using KeyPlatform.Vault.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.Vault.DependencyInjection;

public static class KeyVaultServiceCollectionExtensions
{
    /// <summary>An id no key has: looking it up reaches the store and finds nothing (the readiness probe).</summary>
    private const string ReadinessProbeKeyId = "readiness-probe";

    /// <summary>
    /// Registers <see cref="IKeyVault"/>: the store chosen by <c>Vault:Provider</c> (<see cref="VaultProvider"/>; Local by
    /// default) behind the resilient decorator, one per process. Reads <c>ConnectionStrings:Postgres</c> and the
    /// <c>Vault</c> section (see <see cref="LocalVaultOptions"/>; <c>Vault:Pkcs11</c>, see <see cref="Pkcs11VaultOptions"/>, for
    /// the PKCS#11 store and for the local store's master key under <c>Vault:MasterKeyWrapping=Pkcs11</c>)
    /// from the application's root <paramref name="configuration"/>, then applies <paramref name="configure"/>, whose
    /// <see cref="LocalVaultOptions.Regions"/> and <see cref="LocalVaultOptions.Resilience"/> hold for every store.
    /// </summary>
    /// <remarks>
    /// The store is opened when the host starts (a hosted service asks for the vault): a Production host without a master
    /// key, a wrapped master key the token cannot unwrap (wrapping key missing, wrong PIN, file for another token, altered
    /// file), a PKCS#11 store with a missing library, token or a wrong PIN, or an Azure Key Vault store without a vault URI or
    /// that cannot be read (unreachable, credential refused, no permission), fails to start with the reason instead of
    /// failing at its first key operation. Without an <see cref="IHostEnvironment"/> registered, the environment is taken
    /// to be Production (no development key).
    /// </remarks>
    public static IServiceCollection AddKeyVault(this IServiceCollection services, IConfiguration configuration,
        Action<LocalVaultOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddExceptionHandler<VaultUnavailableExceptionHandler>();
        var options = LocalVaultOptions.FromConfiguration(configuration);
        configure?.Invoke(options);
        return VaultProviders.FromConfiguration(configuration) switch
        {
            VaultProvider.Pkcs11 => RegisterPkcs11(services, Pkcs11VaultOptions.FromConfiguration(configuration), options),
            VaultProvider.AzureKeyVault => RegisterAzureKeyVault(services, AzureKeyVaultOptions.FromConfiguration(configuration), options),
            VaultProvider.Gateway => RegisterGateway(services, configuration, options),
            _ => Register(services, options),
        };
    }

    private static IServiceCollection RegisterPkcs11(IServiceCollection services, Pkcs11VaultOptions pkcs11, LocalVaultOptions shared)
    {
        pkcs11.Regions = shared.Regions;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider =>
        {
            var vault = new Pkcs11KeyVault(pkcs11, provider.GetRequiredService<TimeProvider>());
            try
            {
                vault.Connect();
            }
            catch
            {
                vault.Dispose();
                throw;
            }

            return vault;
        });
        AddResilientStore<Pkcs11KeyVault>(services, shared.Resilience, KeyVaultHealthCheck.StoreName(VaultProvider.Pkcs11),
            (vault, cancellationToken) => vault.ExistsAsync(ReadinessProbeKeyId, cancellationToken));
        return services;
    }

    /// <summary>
    /// The Azure Key Vault store. Its options are checked when it is built (no vault URI: the host does not start); the
    /// start-up check then reads the vault once, so an unreachable vault, a refused credential or a missing permission
    /// stops the host with the reason.
    /// </summary>
    internal static IServiceCollection RegisterAzureKeyVault(IServiceCollection services, AzureKeyVaultOptions azure, LocalVaultOptions shared)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(azure);
        ArgumentNullException.ThrowIfNull(shared);
        azure.Regions = shared.Regions;
        azure.RequireRequestTimeoutBelow(shared.Resilience.AttemptTimeout);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new AzureKeyVaultAdapter(
            azure, provider.GetRequiredService<TimeProvider>(), provider.GetService<ILogger<AzureKeyVaultAdapter>>()));
        // Azure.Core's pipeline retries 408, 429, 5xx and network faults already (Retry-After honoured, Vault:AzureKeyVault:MaxRetries):
        // the decorator only bounds the call, or each of its retries would run the pipeline's again (up to 16 requests).
        var bounded = new VaultResilienceOptions { MaxRetryAttempts = 0, BaseDelay = shared.Resilience.BaseDelay, AttemptTimeout = shared.Resilience.AttemptTimeout };
        AddResilientStore<AzureKeyVaultAdapter>(services, bounded, KeyVaultHealthCheck.StoreName(VaultProvider.AzureKeyVault),
            (vault, cancellationToken) => vault.CheckReachableAsync(cancellationToken));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AzureKeyVaultStartupCheck>());
        return services;
    }

    /// <summary>The HttpClient name of the vault gateway client (pooled by IHttpClientFactory).</summary>
    public const string GatewayHttpClient = "vault-gateway";

    /// <summary>
    /// The vault gateway (docs/decisions/0020-vault-gateway.md): no store, no vault secret, no vault schema in this process;
    /// each call is one request to KeyService over a pooled connection, behind the same resilient decorator (creating calls
    /// never retried). The HTTP client gets none of the platform's default resilience handlers: a retried import could
    /// store a second copy of a tenant key. The address and the credential are checked as the container builds the vault
    /// (at start-up); readiness asks the gateway, which answers only while its store is reachable.
    /// </summary>
    private static IServiceCollection RegisterGateway(IServiceCollection services, IConfiguration configuration, LocalVaultOptions shared)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => VaultGatewayOptions.FromConfiguration(configuration,
            provider.GetService<IHostEnvironment>()?.EnvironmentName ?? Environments.Production));
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental in 10.11; the documented way to drop ConfigureHttpClientDefaults' handlers
        services.AddHttpClient(GatewayHttpClient, (provider, http) =>
            {
                var gateway = provider.GetRequiredService<VaultGatewayOptions>();
                http.BaseAddress = gateway.Address;
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                    VaultGatewayProtocol.AuthorizationScheme, gateway.AuthorizationParameter);
                // The client's own deadline (the attempt timeout, on the TimeProvider) bounds each request, the first
                // read of the wrapping algorithm and the readiness probe included.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllResilienceHandlers()
            .ConfigurePrimaryHttpMessageHandler(() => new System.Net.Http.SocketsHttpHandler
            {
                // Keep-alive connections, renewed every few minutes so a moved KeyService address is picked up.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                EnableMultipleHttp2Connections = true,
            });
#pragma warning restore EXTEXP0001
        services.AddSingleton(provider => new VaultGatewayKeyVault(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(GatewayHttpClient),
            provider.GetRequiredService<VaultGatewayOptions>().Client,
            shared.Resilience.AttemptTimeout,
            provider.GetRequiredService<TimeProvider>()));
        AddResilientStore<VaultGatewayKeyVault>(services, shared.Resilience, KeyVaultHealthCheck.StoreName(VaultProvider.Gateway),
            (vault, cancellationToken) => vault.GetInfoAsync(cancellationToken));
        return services;
    }

    /// <summary>Registers <see cref="IKeyVault"/> with options set in code only.</summary>
    public static IServiceCollection AddKeyVault(this IServiceCollection services, Action<LocalVaultOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddExceptionHandler<VaultUnavailableExceptionHandler>();
        var options = new LocalVaultOptions();
        configure(options);
        return Register(services, options);
    }

    private static IServiceCollection Register(IServiceCollection services, LocalVaultOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider =>
        {
            var developmentKeyAllowed = provider.GetService<IHostEnvironment>() is { } host && DevelopmentFallbacks.AllowedIn(host.EnvironmentName);
            var masterKey = MasterKeyLoader.Load(options, developmentKeyAllowed);
            return new LocalKeyVault(options, masterKey, provider.GetRequiredService<TimeProvider>());
        });
        var store = KeyVaultHealthCheck.StoreName(VaultProvider.Local,
            options.MasterKeyWrapping == MasterKeyWrapping.Pkcs11 ? options.Pkcs11.TokenLabel : null);
        AddResilientStore<LocalKeyVault>(services, options.Resilience, store,
            (vault, cancellationToken) => vault.ExistsAsync(ReadinessProbeKeyId, cancellationToken));
        return services;
    }

    /// <summary>What every store gets: <see cref="IKeyVault"/> as the resilient decorator over it (one per process), the
    /// start-up check that opens it, and the readiness check that probes it under the name <paramref name="storeName"/>.</summary>
    private static void AddResilientStore<TStore>(IServiceCollection services, VaultResilienceOptions resilience, string storeName,
        Func<TStore, CancellationToken, Task> probe) where TStore : class, IKeyVault
    {
        services.AddSingleton<IKeyVault>(provider => new ResilientKeyVault(
            provider.GetRequiredService<TStore>(),
            resilience,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<ILogger<ResilientKeyVault>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeyVaultStartupCheck>());
        KeyVaultHealthCheck.Register(services, storeName,
            (provider, cancellationToken) => probe(provider.GetRequiredService<TStore>(), cancellationToken));
    }
}
