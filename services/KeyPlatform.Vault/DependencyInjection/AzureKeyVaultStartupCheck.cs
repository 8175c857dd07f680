using KeyPlatform.Vault.AzureKeyVault;
using Microsoft.Extensions.Hosting;

namespace KeyPlatform.Vault.DependencyInjection;

/// <summary>
/// Reads the Azure Key Vault once as the host starts (<see cref="AzureKeyVaultAdapter.CheckReachableAsync"/>): an
/// unreachable vault, a refused credential or a missing permission stops the start, naming the vault and the reason.
/// </summary>
internal sealed class AzureKeyVaultStartupCheck(AzureKeyVaultAdapter vault) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => vault.CheckReachableAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
