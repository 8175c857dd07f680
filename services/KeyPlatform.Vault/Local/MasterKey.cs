using System.Security.Cryptography;
using System.Text;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// The 32-byte key that seals the vault's private keys with AES-256-GCM. It lives in configuration (or a file),
/// never in the database. A sealed blob is <c>format (1 byte) | nonce (12) | ciphertext | tag (16)</c>.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const int SizeInBytes = 32;
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + NonceSize;

    private readonly byte[] _key;

    private MasterKey(byte[] key) => _key = key;

    public static MasterKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != SizeInBytes)
        {
            throw new ArgumentException($"The vault master key must be {SizeInBytes} bytes; this one is {key.Length}.", nameof(key));
        }

        return new MasterKey(key.ToArray());
    }

    /// <param name="source">Where the value came from, for the error message (the value itself is never shown).</param>
    public static MasterKey FromBase64(string base64, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The vault master key in {source} is not base64.");
        }

        try
        {
            if (bytes.Length != SizeInBytes)
            {
                throw new InvalidOperationException(
                    $"The vault master key in {source} must be {SizeInBytes} bytes (base64); it is {bytes.Length}.");
            }

            return new MasterKey(bytes.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public static MasterKey CreateRandom() => new(RandomNumberGenerator.GetBytes(SizeInBytes));

    internal string ToBase64() => Convert.ToBase64String(_key);

    /// <summary>A copy of the key for wrapping it (the caller zeroes it).</summary>
    internal byte[] ExportBytes() => _key.ToArray();

    /// <param name="associatedData">Binds the blob to its row, so a sealed key copied to another row does not open.</param>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var sealedBlob = new byte[HeaderSize + plaintext.Length + TagSize];
        sealedBlob[0] = FormatVersion;
        var nonce = sealedBlob.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(
            nonce,
            plaintext,
            sealedBlob.AsSpan(HeaderSize, plaintext.Length),
            sealedBlob.AsSpan(HeaderSize + plaintext.Length, TagSize),
            Encoding.UTF8.GetBytes(associatedData));
        return sealedBlob;
    }

    /// <exception cref="CryptographicException">Wrong master key, wrong row, or altered blob.</exception>
    public byte[] Open(ReadOnlySpan<byte> sealedBlob, string associatedData)
    {
        if (sealedBlob.Length < HeaderSize + TagSize || sealedBlob[0] != FormatVersion)
        {
            throw new CryptographicException("The sealed key is not in a format this vault knows.");
        }

        var plaintextLength = sealedBlob.Length - HeaderSize - TagSize;
        var plaintext = new byte[plaintextLength];
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(
                sealedBlob.Slice(1, NonceSize),
                sealedBlob.Slice(HeaderSize, plaintextLength),
                sealedBlob.Slice(HeaderSize + plaintextLength, TagSize),
                plaintext,
                Encoding.UTF8.GetBytes(associatedData));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptographicException(
                "The sealed key does not open: the master key is not the one it was sealed with, or the row was altered.");
        }

        return plaintext;
    }

    /// <summary>Whether both hold the same key (compared in constant time), e.g. a master key and its unwrapped copy.</summary>
    public bool SameKeyAs(MasterKey other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return CryptographicOperations.FixedTimeEquals(_key, other._key);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    public override string ToString() => "MasterKey { not shown }";
}
