namespace KeyPlatform.Vault.Local;

/// <summary>A row of the vault table. The private key is only ever here sealed under the master key.</summary>
internal sealed record StoredKey(
    string KeyId,
    string Version,
    KeyPurpose Purpose,
    string Name,
    string? Region,
    string Thumbprint,
    byte[] PublicKey,
    byte[] SealedPrivateKey,
    DateTimeOffset CreatedAt)
{
    /// <summary>
    /// What the sealed private key is bound to: its id, purpose and public key. A row whose purpose or public key was
    /// changed in the database no longer opens, so nobody can redirect wraps to another public key unnoticed.
    /// </summary>
    public string SealBinding => $"keyplatform-vault-v1|{KeyId}|{Purpose.ToDatabase()}|{Thumbprint}";

    public VaultKeyInfo ToInfo() => new(KeyId, Version, Thumbprint, CreatedAt);

    public override string ToString() => $"StoredKey {{ KeyId = {KeyId}, Purpose = {Purpose}, Thumbprint = {Thumbprint} }}";
}
