namespace KeyPlatform.Vault;

/// <summary>
/// The vault holds the key, but not for the caller: it belongs to another owner, or its thumbprint is not the one the
/// caller expected (a forged or stale reference). Nothing was wrapped or unwrapped. Not transient; callers turn it
/// into a refusal. The message names ids, owners and thumbprints only (public information), never key material.
/// </summary>
public sealed class VaultKeyOwnershipException : Exception
{
    public VaultKeyOwnershipException(VaultKeyReference expected, string reason)
        : base($"Vault key '{expected.KeyId}' cannot be used as {expected.Owner}: {reason}")
    {
        Expected = expected;
        Reason = reason;
    }

    /// <summary>Why the key cannot be used (public information), as the store said it.</summary>
    public string Reason { get; }

    public VaultKeyReference Expected { get; }

    public string KeyId => Expected.KeyId;
}
