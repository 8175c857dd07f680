namespace KeyPlatform.Vault;

/// <summary>What the vault says about a key it holds. <see cref="Thumbprint"/> is public information.</summary>
/// <param name="KeyId">The vault's id of the key.</param>
/// <param name="Version">The key's version; recorded with every wrap and release for audit (D2).</param>
/// <param name="Thumbprint">Lowercase hex SHA-256 of the public key's SubjectPublicKeyInfo DER.</param>
/// <param name="Owner">Whom the key belongs to, as recorded when it was created or imported.</param>
public sealed record VaultKeyInfo(string KeyId, string Version, string Thumbprint, DateTimeOffset CreatedAt, VaultKeyOwner Owner)
{
    /// <summary>The reference that wraps and unwraps with this key.</summary>
    public VaultKeyReference Reference => new(KeyId, Owner, Thumbprint);
}
