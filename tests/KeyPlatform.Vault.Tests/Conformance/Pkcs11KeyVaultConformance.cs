using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.Conformance;

/// <summary>The conformance suite on the PKCS#11 vault: the SoftHSM2 token of scripts/infra.sh.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11KeyVaultConformance(SoftHsmToken token) : KeyVaultConformance, IClassFixture<SoftHsmToken>
{
    protected override IKeyVault Vault { get; } = new ResilientKeyVault(token.Vault);

    protected override string ExpectedWrappingAlgorithm => WrappingAlgorithm.RsaOaep;

    protected override IKeyVault NewInstance() => new ResilientKeyVault(token.NewVault());

    protected override Task<long> StoredKeyCountAsync() => Task.FromResult((long)token.PrivateKeyLabels().Count);

    /// <summary>Any object with the key's label, of any class: after a delete, find by label returns nothing (V1).</summary>
    protected override Task<bool> KeyMaterialIsStoredAsync(string keyId) => Task.FromResult(token.ObjectsLabelled(keyId) > 0);
}
