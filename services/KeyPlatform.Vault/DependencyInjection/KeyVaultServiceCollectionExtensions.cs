using KeyPlatform.Contracts;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.Vault.DependencyInjection;

public static class KeyVaultServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeyVault"/>: the local vault behind the resilient decorator, one per process. Reads
    /// <c>ConnectionStrings:Postgres</c> and the <c>Vault</c> section (see <see cref="LocalVaultOptions"/>) from the
    /// application's root <paramref name="configuration"/>, then applies <paramref name="configure"/>.
    /// </summary>
    /// <remarks>
    /// The master key is loaded when the host starts (a hosted service asks for the vault), so a Production host
    /// without one fails to start instead of failing at its first key operation. Without an
    /// <see cref="IHostEnvironment"/> registered, the environment is taken to be Production (no development key).
    /// </remarks>
    public static IServiceCollection AddKeyVault(this IServiceCollection services, IConfiguration configuration,
        Action<LocalVaultOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = LocalVaultOptions.FromConfiguration(configuration);
        configure?.Invoke(options);
        return Register(services, options);
    }

    /// <summary>Registers <see cref="IKeyVault"/> with options set in code only.</summary>
    public static IServiceCollection AddKeyVault(this IServiceCollection services, Action<LocalVaultOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
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
        services.AddSingleton<IKeyVault>(provider => new ResilientKeyVault(
            provider.GetRequiredService<LocalKeyVault>(),
            options.Resilience,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<ILogger<ResilientKeyVault>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeyVaultStartupCheck>());
        return services;
    }
}
