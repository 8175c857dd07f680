namespace KeyPlatform.Vault.Local;

/// <summary>A row of the vault table. The private key is only ever here sealed under the master key.</summary>
/// <param name="TenantId">The owning tenant of a tenant key; null for region keys, and for tenant keys stored before
/// owners were recorded (seal format 1), which have no <see cref="Owner"/> and are refused for every wrap and unwrap.</param>
/// <param name="SealFormat">1: sealed before owners were recorded (binding without owner); 2: the owner is bound too.</param>
internal sealed record StoredKey(
    string KeyId,
    string Version,
    KeyPurpose Purpose,
    string Name,
    string? TenantId,
    string? Region,
    string Thumbprint,
    byte[] PublicKey,
    byte[] SealedPrivateKey,
    DateTimeOffset CreatedAt,
    short SealFormat)
{
    public const short CurrentSealFormat = 2;

    /// <summary>
    /// What the sealed private key is bound to: its id, purpose, owner and public key. A row whose purpose, owner or
    /// public key was changed in the database no longer opens, so nobody can redirect wraps to another public key or
    /// hand a key to another tenant unnoticed.
    /// </summary>
    public string SealBinding => SealFormat == 1
        ? $"keyplatform-vault-v1|{KeyId}|{Purpose.ToDatabase()}|{Thumbprint}"
        : $"keyplatform-vault-v2|{KeyId}|{Purpose.ToDatabase()}|{TenantId}|{Region}|{Thumbprint}";

    /// <summary>Whom the key belongs to; null for a tenant key stored before owners were recorded.</summary>
    public VaultKeyOwner? Owner => (Purpose, TenantId, Region) switch
    {
        (_, _, null) => null,
        (KeyPurpose.Tenant, null, _) => null,
        (KeyPurpose.Tenant, { } tenant, { } region) => VaultKeyOwner.Tenant(tenant, region),
        (KeyPurpose.Platform, _, { } region) => VaultKeyOwner.Platform(region),
        (_, _, { } region) => VaultKeyOwner.KeyExchange(region),
    };

    public VaultKeyInfo ToInfo() => new(KeyId, Version, Thumbprint, CreatedAt,
        Owner ?? throw new InvalidOperationException($"Key '{KeyId}' has no recorded owner."));

    public override string ToString() => $"StoredKey {{ KeyId = {KeyId}, Purpose = {Purpose}, Owner = {Owner}, Thumbprint = {Thumbprint} }}";
}
