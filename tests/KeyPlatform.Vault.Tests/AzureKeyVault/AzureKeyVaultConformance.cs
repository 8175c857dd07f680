using KeyPlatform.Vault.AzureKeyVault;
using KeyPlatform.Vault.Resilience;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary>One contract server for the class: the conformance suite shares a vault as the other adapters share theirs.</summary>
public sealed class KeyVaultContractFixture : IAsyncLifetime
{
    public KeyVaultContractServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await KeyVaultContractServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public AzureKeyVaultAdapter NewAdapter(TimeProvider? time = null) =>
        new(AzureKeyVaultTestOptions.For(Server, new ContractCredential()), time);
}

/// <summary>The conformance suite on the Azure Key Vault adapter, against the documented contract (the in-process server).</summary>
public sealed class AzureKeyVaultConformance(KeyVaultContractFixture contract)
    : Conformance.KeyVaultConformance, IClassFixture<KeyVaultContractFixture>
{
    protected override IKeyVault Vault { get; } = new ResilientKeyVault(contract.NewAdapter());

    protected override string ExpectedWrappingAlgorithm => WrappingAlgorithm.RsaOaep256;

    protected override IKeyVault NewInstance() => new ResilientKeyVault(contract.NewAdapter());

    protected override Task<long> StoredKeyCountAsync() => Task.FromResult(contract.Server.StoredKeyCount());

    /// <summary>Live or soft-deleted: a key counts as gone only once it is purged (D4).</summary>
    protected override Task<bool> KeyMaterialIsStoredAsync(string keyId) => Task.FromResult(contract.Server.Holds(keyId));
}
