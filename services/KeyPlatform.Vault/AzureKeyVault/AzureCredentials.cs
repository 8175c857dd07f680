using Azure.Core;
using Azure.Identity;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>The Azure.Identity credential <see cref="AzureKeyVaultOptions.Credential"/> names.</summary>
internal static class AzureCredentials
{
    public static TokenCredential Create(AzureKeyVaultOptions options)
    {
        if (options.TokenCredential is { } given)
        {
            return given;
        }

        const string section = AzureKeyVaultOptions.SectionName;
        return options.Credential switch
        {
            AzureCredentialKind.ClientSecret => new ClientSecretCredential(
                options.TenantId ?? throw new InvalidOperationException($"{section}:Credential ClientSecret needs {section}:TenantId."),
                options.ClientId ?? throw new InvalidOperationException($"{section}:Credential ClientSecret needs {section}:ClientId."),
                options.ReadClientSecret()),
            AzureCredentialKind.ManagedIdentity => new ManagedIdentityCredential(options.ClientId is { } clientId
                ? ManagedIdentityId.FromUserAssignedClientId(clientId)
                : ManagedIdentityId.SystemAssigned),
            _ => new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                TenantId = options.TenantId,
                ManagedIdentityClientId = options.ClientId,
            }),
        };
    }
}
