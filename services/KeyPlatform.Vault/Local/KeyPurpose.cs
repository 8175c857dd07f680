namespace KeyPlatform.Vault.Local;

/// <summary>What a key in the vault is for; stored with it and bound into its sealed blob.</summary>
internal enum KeyPurpose
{
    /// <summary>A tenant's key (K3, K4): wraps data keys; deletable (L4).</summary>
    Tenant,

    /// <summary>A region's platform-managed key (E1): wraps data keys by default; one per region; never deleted.</summary>
    Platform,

    /// <summary>A region's BYOK key-exchange key: only unwraps .byok files; one per region; never deleted.</summary>
    KeyExchange,
}

internal static class KeyPurposeNames
{
    public static string ToDatabase(this KeyPurpose purpose) => purpose switch
    {
        KeyPurpose.Tenant => "tenant",
        KeyPurpose.Platform => "platform",
        KeyPurpose.KeyExchange => "key-exchange",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    public static KeyPurpose FromDatabase(string value) => value switch
    {
        "tenant" => KeyPurpose.Tenant,
        "platform" => KeyPurpose.Platform,
        "key-exchange" => KeyPurpose.KeyExchange,
        _ => throw new InvalidOperationException($"Unknown key purpose '{value}' in the vault table."),
    };
}
