using System.Security.Cryptography;

namespace KeyPlatform.Vault;

/// <summary>
/// The one way keys are matched across files and the vault (L1, U1): lowercase hex SHA-256 of the public key's
/// SubjectPublicKeyInfo DER. The same key gives the same thumbprint whether it came as .pfx, .byok or was generated.
/// </summary>
public static class KeyThumbprint
{
    public static string Of(RSA key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Of(key.ExportSubjectPublicKeyInfo());
    }

    public static string Of(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));
}
