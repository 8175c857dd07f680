namespace KeyPlatform.Vault;

/// <summary>The argument checks every <see cref="IKeyVault"/> adapter makes the same way, before it touches its store.</summary>
internal static class VaultArguments
{
    /// <summary>A tenant key's owner: the purpose must be tenant (ids are canonical at every edge, X3).</summary>
    public static VaultKeyOwner TenantOwner(VaultKeyOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return owner.Purpose == KeyPurpose.Tenant
            ? owner
            : throw new ArgumentException("Only tenant keys are imported or generated; region keys are created by the vault.", nameof(owner));
    }

    /// <summary>K4: the vault holds RSA-2048 tenant keys (<see cref="Local.LocalKeyVault.DataKeyWrappingKeySizeBits"/>).</summary>
    public static void RequireTenantKeySize(System.Security.Cryptography.RSA privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (privateKey.KeySize != Local.LocalKeyVault.DataKeyWrappingKeySizeBits)
            throw new ArgumentException(
                $"The vault holds RSA {Local.LocalKeyVault.DataKeyWrappingKeySizeBits}-bit tenant keys; this key is {privateKey.KeySize} bits.",
                nameof(privateKey));
    }

    /// <summary>K3: a generated key leaves the vault once, as a password-protected .pfx.</summary>
    public static void RequirePfxPassword(string pfxPassword)
    {
        if (string.IsNullOrEmpty(pfxPassword))
            throw new ArgumentException("A generated key is exported as a password-protected .pfx: a password is required.",
                nameof(pfxPassword));
    }

    public static void RequireKeyToWrap(ReadOnlyMemory<byte> plaintextKey)
    {
        if (plaintextKey.IsEmpty) throw new ArgumentException("There is no key to wrap.", nameof(plaintextKey));
    }

    public static void RequireKeyToUnwrap(ReadOnlyMemory<byte> wrappedKey)
    {
        if (wrappedKey.IsEmpty) throw new ArgumentException("There is no wrapped key to unwrap.", nameof(wrappedKey));
    }
}
