namespace KeyPlatform.Vault;

/// <summary>What a key in the vault is for; part of its <see cref="VaultKeyOwner"/>.</summary>
public enum KeyPurpose
{
    /// <summary>A tenant's key (K3, K4) in one region: wraps that tenant's data keys there; deletable (L4).</summary>
    Tenant,

    /// <summary>A region's platform-managed key (E1): wraps data keys by default; one per region; never deleted.</summary>
    Platform,

    /// <summary>A region's BYOK key-exchange key: only unwraps .byok files; one per region; never deleted.</summary>
    KeyExchange,
}
