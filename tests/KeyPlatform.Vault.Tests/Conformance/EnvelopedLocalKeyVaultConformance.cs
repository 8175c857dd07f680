using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.Conformance;

/// <summary>
/// The conformance suite (and the local store's own tests) on the local vault whose master key is wrapped on the SoftHSM
/// token (<c>Vault:MasterKeyWrapping=Pkcs11</c>): every instance, the restarted ones too, unwraps its master key on the token.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class EnvelopedLocalKeyVaultConformance : LocalKeyVaultConformance, IClassFixture<EnvelopedMasterKey>
{
    private readonly VaultDatabase _database;
    private readonly EnvelopedMasterKey _envelope;

    public EnvelopedLocalKeyVaultConformance(VaultDatabase database, EnvelopedMasterKey envelope) : base(database)
    {
        _database = database;
        _envelope = envelope;
        Vault = NewInstance();
    }

    protected override IKeyVault Vault { get; }

    protected override IKeyVault NewInstance() => new ResilientKeyVault(_database.NewVault(_envelope.Load()));
}
