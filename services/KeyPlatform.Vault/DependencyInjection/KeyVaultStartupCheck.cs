using Microsoft.Extensions.Hosting;

namespace KeyPlatform.Vault.DependencyInjection;

/// <summary>
/// Builds the vault as the host starts: a missing or invalid master key stops the start with its reason. It does
/// not touch the database, which may come up later than the service.
/// </summary>
internal sealed class KeyVaultStartupCheck(IKeyVault vault) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(vault);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
