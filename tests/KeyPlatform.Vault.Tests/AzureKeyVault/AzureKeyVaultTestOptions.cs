using Azure.Core;
using KeyPlatform.Vault.AzureKeyVault;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

internal static class AzureKeyVaultTestOptions
{
    public static AzureKeyVaultOptions For(KeyVaultContractServer server, TokenCredential credential) => new()
    {
        VaultUri = server.VaultUri,
        Regions = VaultDatabase.Regions,
        Transport = server.Transport(),
        TokenCredential = credential,
    };
}
