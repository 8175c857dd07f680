namespace KeyPlatform.Vault;

/// <summary>The vault holds no key with this id: it never existed or it was deleted (D4). Not transient.</summary>
public sealed class VaultKeyNotFoundException : Exception
{
    public VaultKeyNotFoundException(string keyId)
        : base($"The vault holds no key '{keyId}'; it does not exist or it was deleted.")
    {
        KeyId = keyId;
    }

    public string KeyId { get; }
}
