namespace KeyPlatform.Vault.Local;

/// <summary>How the master key file holds the master key: <c>Vault:MasterKeyWrapping</c>, <see cref="None"/> unless configured.</summary>
public enum MasterKeyWrapping
{
    /// <summary>The file (or <c>Vault:MasterKey</c>) holds the master key in plain base64.</summary>
    None,

    /// <summary>The file holds the master key wrapped (AES-256-GCM) by a non-extractable AES key on the PKCS#11 token of
    /// <c>Vault:Pkcs11:*</c>; it is unwrapped on the token at start-up (<see cref="WrappedMasterKey"/>).</summary>
    Pkcs11,
}

internal static class MasterKeyWrappings
{
    public const string SettingName = "Vault:MasterKeyWrapping";

    public static MasterKeyWrapping Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return MasterKeyWrapping.None;
        }

        return Enum.TryParse<MasterKeyWrapping>(value.Trim(), ignoreCase: true, out var wrapping) && Enum.IsDefined(wrapping)
            ? wrapping
            : throw new InvalidOperationException(
                $"{SettingName} is '{value}'; it must be one of: {string.Join(", ", Enum.GetNames<MasterKeyWrapping>())}.");
    }
}
