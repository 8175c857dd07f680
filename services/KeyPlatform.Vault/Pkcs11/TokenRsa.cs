using System.Security.Cryptography;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// An <see cref="RSA"/> whose private operation happens on the token: what <see cref="KeyFiles.KeyFileReader.ReadByok"/>
/// is handed as the key-exchange key, so the region's key-exchange key never leaves the token. Only decryption is
/// supported (what opening a .byok needs); its private parameters cannot be exported.
/// </summary>
internal sealed class TokenRsa : RSA
{
    private readonly RSAParameters _public;
    private readonly Func<byte[], RSAEncryptionPadding, byte[]> _decrypt;

    public TokenRsa(TokenKey key, Func<byte[], RSAEncryptionPadding, byte[]> decrypt)
    {
        using var rsa = key.PublicRsa();
        _public = rsa.ExportParameters(false);
        _decrypt = decrypt;
        LegalKeySizesValue = [new KeySizes(key.KeySizeBits, key.KeySizeBits, 0)];
        KeySizeValue = key.KeySizeBits;
    }

    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding) => _decrypt(data, padding);

    public override byte[] Encrypt(byte[] data, RSAEncryptionPadding padding)
    {
        using var rsa = Create(_public);
        return rsa.Encrypt(data, padding);
    }

    public override RSAParameters ExportParameters(bool includePrivateParameters) => includePrivateParameters
        ? throw new CryptographicException("The key-exchange key is on the token: its private part cannot be exported.")
        : _public;

    public override void ImportParameters(RSAParameters parameters) =>
        throw new NotSupportedException("A token key cannot be replaced.");
}
