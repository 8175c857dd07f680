namespace KeyPlatform.Vault;

/// <summary>
/// A secret a store needs (a PKCS#11 user PIN, an Azure client secret), given in configuration or as a file that holds
/// it (a mounted secret). The value wins over the file; a file's trailing line break is not part of the secret. Errors
/// name the settings and the file, never the secret.
/// </summary>
internal static class SecretSetting
{
    /// <param name="value">The secret as configured, if it is.</param>
    /// <param name="file">The file that holds it, if one is configured.</param>
    /// <param name="fileSetting">The setting that names the file (<c>Vault:Pkcs11:PinFile</c>), for the errors.</param>
    /// <param name="whatIsMissing">The error when neither is configured.</param>
    /// <param name="what">What the file holds, as errors say it ("PKCS#11 PIN file").</param>
    public static string Read(string? value, string? file, string fileSetting, string whatIsMissing, string what)
    {
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        if (file is null)
        {
            throw new InvalidOperationException(whatIsMissing);
        }

        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"The {what} '{file}' ({fileSetting}) does not exist.");
        }

        var secret = File.ReadAllText(file).TrimEnd();
        return secret.Length > 0 ? secret : throw new InvalidOperationException($"The {what} '{file}' ({fileSetting}) is empty.");
    }
}
