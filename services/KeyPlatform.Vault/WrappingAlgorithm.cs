using System.Security.Cryptography;

namespace KeyPlatform.Vault;

/// <summary>
/// How a data key was wrapped, by its JOSE name, recorded with every <see cref="WrappedKey"/> so that each adapter unwraps
/// what it wrapped: the local vault wraps with <see cref="RsaOaep256"/>; SoftHSM 2.6 does RSA-OAEP only with SHA-1
/// (<see cref="RsaOaep"/>). A wrapped key stored before algorithms were recorded reads as <see cref="RsaOaep256"/> (D3).
/// </summary>
public static class WrappingAlgorithm
{
    /// <summary>RSA-OAEP with SHA-256 and MGF1-SHA-256 (D1's algorithm).</summary>
    public const string RsaOaep256 = "RSA-OAEP-256";

    /// <summary>RSA-OAEP with SHA-1 and MGF1-SHA-1: what SoftHSM 2.6 does.</summary>
    public const string RsaOaep = "RSA-OAEP";

    /// <summary>What a stored wrapped key was wrapped with; no record means it predates the record (D3).</summary>
    public static string OrDefault(string? recorded) => string.IsNullOrEmpty(recorded) ? RsaOaep256 : recorded;

    /// <summary>The .NET padding of a known algorithm; any other name is refused before a key is touched.</summary>
    public static RSAEncryptionPadding Padding(string algorithm) => algorithm switch
    {
        RsaOaep256 => RSAEncryptionPadding.OaepSHA256,
        RsaOaep => RSAEncryptionPadding.OaepSHA1,
        _ => throw new ArgumentException(
            $"'{algorithm}' is not a wrapping algorithm of the vault ({RsaOaep256}, {RsaOaep}).", nameof(algorithm)),
    };
}
