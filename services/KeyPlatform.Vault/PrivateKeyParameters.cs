using System.Security.Cryptography;

namespace KeyPlatform.Vault;

/// <summary>The private parts of an exported RSA key, zeroed as soon as the store has them.</summary>
internal static class PrivateKeyParameters
{
    public static void Clear(RSAParameters parameters)
    {
        CryptographicOperations.ZeroMemory(parameters.D);
        CryptographicOperations.ZeroMemory(parameters.P);
        CryptographicOperations.ZeroMemory(parameters.Q);
        CryptographicOperations.ZeroMemory(parameters.DP);
        CryptographicOperations.ZeroMemory(parameters.DQ);
        CryptographicOperations.ZeroMemory(parameters.InverseQ);
    }
}
