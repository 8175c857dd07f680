namespace KeyPlatform.Vault;

/// <summary>
/// The key a wrap or unwrap must use, as the caller's decision expects it: the vault id, whom the key must belong to,
/// and the thumbprint it must have. The vault refuses the call (<see cref="VaultKeyOwnershipException"/>) when the key
/// it holds under <see cref="KeyId"/> has another owner or another public key.
/// </summary>
public sealed record VaultKeyReference(string KeyId, VaultKeyOwner Owner, string Thumbprint)
{
    public override string ToString() => $"{KeyId} ({Owner}, thumbprint {Thumbprint})";
}
