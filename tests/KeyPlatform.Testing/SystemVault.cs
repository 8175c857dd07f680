using KeyPlatform.Vault.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.Testing;

/// <summary>The vault a running system's services open, opened by the test itself with the same settings (the test's master
/// key, the run's vault schema, the token when on SoftHSM), to read what the store really holds.</summary>
public static class SystemVault
{
    /// <summary>Resolve <see cref="KeyPlatform.Vault.IKeyVault"/> from it; dispose it when done.</summary>
    public static ServiceProvider Open(string connectionString, string vaultSchema, SoftHsm? hsm = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Vault:Schema"] = vaultSchema,
            ["Vault:MasterKey"] = TestInfrastructure.TestVaultMasterKey,
        };
        foreach (var (name, value) in hsm?.ServiceSettings() ?? []) settings[name.Replace("__", ":", StringComparison.Ordinal)] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging()
            .AddKeyVault(configuration, vault => vault.Regions = ["europe"]).BuildServiceProvider();
    }
}
