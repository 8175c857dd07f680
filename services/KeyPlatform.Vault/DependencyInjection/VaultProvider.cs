using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Vault.DependencyInjection;

/// <summary>Which store holds the keys: <c>Vault:Provider</c>, <see cref="Local"/> unless configured.</summary>
public enum VaultProvider
{
    /// <summary>PostgreSQL, private keys sealed under the master key (<c>Vault:MasterKey</c>). Keeps D4 only while no
    /// database backup and the master key meet: a deleted key comes back from a backup (not V2).</summary>
    Local,

    /// <summary>A PKCS#11 token (<c>Vault:Pkcs11:*</c>): deleting a key destroys it on the token (V1, V2).</summary>
    Pkcs11,

    /// <summary>Azure Key Vault or Managed HSM (<c>Vault:AzureKeyVault:*</c>): deleting a key deletes and purges it; with the
    /// vault's purge protection it stays recoverable, not destroyed, until Key Vault purges it (V1).</summary>
    AzureKeyVault,

    /// <summary>No store in this process: KeyService's vault gateway (<c>Vault:Gateway:*</c>) performs the calls on its store,
    /// for services that must not hold the vault secret (docs/decisions/0020-vault-gateway.md).</summary>
    Gateway,
}

internal static class VaultProviders
{
    public const string SettingName = "Vault:Provider";

    public static VaultProvider FromConfiguration(IConfiguration configuration)
    {
        var value = configuration[SettingName];
        if (string.IsNullOrWhiteSpace(value))
        {
            return VaultProvider.Local;
        }

        return Enum.TryParse<VaultProvider>(value.Trim(), ignoreCase: true, out var provider) && Enum.IsDefined(provider)
            ? provider
            : throw new InvalidOperationException(
                $"{SettingName} is '{value}'; it must be one of: {string.Join(", ", Enum.GetNames<VaultProvider>())}.");
    }
}
