namespace KeyPlatform.Vault.Local;

/// <summary>How <see cref="KeyPurpose"/> is spelled in the vault table and in the seal binding.</summary>
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
