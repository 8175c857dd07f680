namespace KeyPlatform.Vault;

/// <summary>Where a key is in its life, as the store holds it; what the key inventory shows about custody (D4, L4).</summary>
public enum VaultKeyPhase
{
    /// <summary>The store holds the key and it works.</summary>
    Held,

    /// <summary>Deleted but recoverable (Azure Key Vault soft-delete, purge refused or not yet done): nothing unwraps with it
    /// now, but the vault's operators can bring it back, so it does not count as destroyed for D4 until it is purged.</summary>
    DeletedRecoverable,

    /// <summary>Gone from the store (for the local store: from its table; backups are another matter, see the README).</summary>
    Destroyed,
}

/// <summary>A key's <see cref="VaultKeyPhase"/>, and for a recoverable one when the vault will purge it by itself.</summary>
public sealed record VaultKeyState(VaultKeyPhase Phase, DateTimeOffset? PurgeScheduledAt = null)
{
    public static VaultKeyState Held { get; } = new(VaultKeyPhase.Held);

    public static VaultKeyState Destroyed { get; } = new(VaultKeyPhase.Destroyed);

    /// <summary>Whether D4 holds for this key: it is destroyed, not merely deleted.</summary>
    public bool IsDestroyed => Phase == VaultKeyPhase.Destroyed;
}
