using System.Security.Cryptography;
using System.Text;
using KeyPlatform.EnvironmentEncryption.Store;

namespace KeyPlatform.EnvironmentEncryption.DataKeys;

/// <summary>How a record is encrypted in an environment's store: AES-256-GCM under the environment's data key, with
/// the environment id, the record id and its kind as associated data, so a record moved to another environment (or
/// renamed) fails to open instead of being read with the wrong key.</summary>
public static class RecordCipher
{
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    public static (byte[] Nonce, byte[] Ciphertext, byte[] Tag) Encrypt(ReadOnlySpan<byte> dataKey, string environmentId,
        string recordId, RecordKind kind, ReadOnlySpan<byte> plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagBytes];
        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(environmentId, recordId, kind));
        return (nonce, ciphertext, tag);
    }

    /// <summary>Throws <see cref="AuthenticationTagMismatchException"/> for another key, environment, record or kind.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> dataKey, string environmentId, string recordId, RecordKind kind,
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag)
    {
        var plaintext = new byte[ciphertext.Length];
        using var aes = new AesGcm(dataKey, TagBytes);
        aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(environmentId, recordId, kind));
        return plaintext;
    }

    public static byte[] AssociatedData(string environmentId, string recordId, RecordKind kind) =>
        Encoding.UTF8.GetBytes($"keyplatform-record-v1|{environmentId}|{recordId}|{kind}");
}
