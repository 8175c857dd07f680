using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>
/// Checks an uploaded key file against K2 and reads the key out of it. Pure: no I/O, no logging. A file that is not
/// acceptable gives a K2 refusal whose reason names the one requirement it fails; nothing of the file's secrets
/// (password, key bytes) ever appears in a reason or an exception.
/// </summary>
public static class KeyFileReader
{
    /// <summary>A .pfx or .byok holding one RSA-2048 key is 2-5 KiB; anything far bigger is not a key file.</summary>
    public const int MaxFileBytes = 64 * 1024;

    public const int RequiredKeySizeBits = 2048;

    /// <summary>
    /// Highest PBKDF/MAC iteration count accepted in a .pfx (OpenSSL and Windows export ~2,000; OWASP's PBKDF2-SHA256
    /// advice is 600,000). The loader checks it before deriving anything, so an absurd count is refused at once.
    /// </summary>
    public const int MaxPfxIterations = 600_000;

    /// <summary>A key with its certificate chain; more is not a key export.</summary>
    public const int MaxPfxCertificates = 10;

    private const X509KeyStorageFlags PfxLoadFlags = X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable;

    private static readonly Pkcs12LoaderLimits PfxLimits = new()
    {
        MacIterationLimit = MaxPfxIterations,
        IndividualKdfIterationLimit = MaxPfxIterations,
        TotalKdfIterationLimit = 2 * MaxPfxIterations,
        MaxCertificates = MaxPfxCertificates,
        MaxKeys = 1,
    };

    /// <summary>Reads a password-protected PKCS#12 file holding exactly one RSA 2048-bit private key (K2, K4, L1, U1).</summary>
    public static KeyFileResult<LoadedKey> ReadPfx(byte[] file, string? password)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (CheckSize(file, "key") is { } sizeRefusal)
        {
            return sizeRefusal;
        }

        if (!LooksLikePkcs12(file))
        {
            return KeyFileRefusal.K2("The file is not a PKCS#12 (.pfx) file, or it is damaged.");
        }

        // A file that opens with no password protects nothing, whatever password the admin typed; PKCS#12 has two
        // spellings of "no password" (absent and empty), so both are tried.
        foreach (var noPassword in new[] { null, "" })
        {
            var opened = OpenPfx(file, noPassword, out var limitRefusal);
            if (limitRefusal is not null)
            {
                return limitRefusal;
            }

            if (opened is not null)
            {
                DisposeAll(opened);
                return KeyFileRefusal.K2("The .pfx file is not password protected; export it again with a password.");
            }
        }

        if (string.IsNullOrEmpty(password))
        {
            return KeyFileRefusal.K2("A password is required to open the .pfx file.");
        }

        var certificates = OpenPfx(file, password, out var refusal);
        if (refusal is not null)
        {
            return refusal;
        }

        if (certificates is null)
        {
            return KeyFileRefusal.K2("The password does not open this .pfx file (wrong password, or the file was altered).");
        }

        try
        {
            return ReadSingleRsaKey(certificates);
        }
        finally
        {
            DisposeAll(certificates);
        }
    }

    /// <summary>
    /// Reads a .byok file wrapped for <paramref name="keyExchangeKey"/> and carrying one RSA 2048-bit private key
    /// (K2, K4). The key-exchange key's private part is needed, so only the vault calls this in production.
    /// </summary>
    public static KeyFileResult<LoadedKey> ReadByok(byte[] file, KeyExchangeKey keyExchangeKey)
    {
        ArgumentNullException.ThrowIfNull(keyExchangeKey);
        var read = ReadByokEnvelope(file, keyExchangeKey.Kid);
        if (read.IsRefused)
        {
            return read.Refusal!;
        }

        var envelope = read.Value;
        var unwrapped = UnwrapByokCiphertext(envelope.Ciphertext, keyExchangeKey.PrivateKey, out var unwrapRefusal);
        if (unwrapped is null)
        {
            return unwrapRefusal!;
        }

        try
        {
            return ReadPkcs8(unwrapped);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unwrapped);
        }
    }

    /// <summary>
    /// The checks of a .byok file that need no private key (K2): size, JSON shape, algorithm, and that it was wrapped for
    /// <paramref name="keyExchangeKid"/>. A store that opens .byok files inside the HSM (Azure Key Vault) makes these
    /// before it hands the file over.
    /// </summary>
    internal static KeyFileResult<ByokEnvelope> ReadByokEnvelope(byte[] file, string keyExchangeKid)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (CheckSize(file, ".byok") is { } sizeRefusal)
        {
            return sizeRefusal;
        }

        var parsed = ByokFile.Parse(file);
        if (parsed.IsRefused)
        {
            return parsed.Refusal!;
        }

        return string.Equals(parsed.Value.Kid, keyExchangeKid, StringComparison.Ordinal)
            ? parsed
            : KeyFileRefusal.K2(
                $"The .byok file was wrapped for another key-exchange key ({ByokFile.Shown(parsed.Value.Kid)}); " +
                $"export it again for this region's key-exchange key \"{keyExchangeKid}\".");
    }

    /// <summary>K4's size, for a key whose size the caller learnt from its public part.</summary>
    internal static KeyFileRefusal? RequireKeySize(int bits) =>
        bits == RequiredKeySizeBits
            ? null
            : KeyFileRefusal.K2($"The key must be RSA {RequiredKeySizeBits} bits; this one is {bits} bits.");

    /// <summary>What a .byok for a region without a key-exchange key is refused with (K2).</summary>
    internal static KeyFileRefusal NoKeyExchangeKey(string region) => KeyFileRefusal.K2(
        $"Region '{region}' has no key-exchange key yet, so no .byok file can be wrapped for it; " +
        "get the key-exchange key first and export the key for it.");

    private static KeyFileRefusal? CheckSize(byte[] file, string kind)
    {
        if (file.Length == 0)
        {
            return KeyFileRefusal.K2($"The {kind} file is empty.");
        }

        return file.Length > MaxFileBytes
            ? KeyFileRefusal.K2($"The {kind} file is {file.Length:N0} bytes; a key file must be at most {MaxFileBytes:N0} bytes.")
            : null;
    }

    /// <summary>The outer shape of RFC 7292: PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, macData? }.</summary>
    private static bool LooksLikePkcs12(byte[] file)
    {
        try
        {
            var reader = new AsnReader(file, AsnEncodingRules.BER);
            var pfx = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (!pfx.TryReadInt32(out var version) || version != 3)
            {
                return false;
            }

            var authSafe = pfx.ReadSequence();
            var contentType = authSafe.ReadObjectIdentifier();
            return contentType is "1.2.840.113549.1.7.1" or "1.2.840.113549.1.7.2"; // id-data, id-signedData
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <returns>The certificates, or null when the password does not open the file (or a limit was hit).</returns>
    private static X509Certificate2Collection? OpenPfx(byte[] file, string? password, out KeyFileRefusal? limitRefusal)
    {
        limitRefusal = null;
        try
        {
            return X509CertificateLoader.LoadPkcs12Collection(file, password, PfxLoadFlags, PfxLimits);
        }
        catch (Pkcs12LoadLimitExceededException exceeded)
        {
            limitRefusal = DescribeLimit(exceeded);
            return null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The loader names the limit it enforced (a property name, not localised text) in its message.</summary>
    private static KeyFileRefusal DescribeLimit(Pkcs12LoadLimitExceededException exceeded)
    {
        if (exceeded.Message.Contains(nameof(Pkcs12LoaderLimits.MaxKeys), StringComparison.Ordinal))
        {
            return KeyFileRefusal.K2("The .pfx file holds more than one private key; it must hold exactly one.");
        }

        if (exceeded.Message.Contains(nameof(Pkcs12LoaderLimits.MaxCertificates), StringComparison.Ordinal))
        {
            return KeyFileRefusal.K2(
                $"The .pfx file holds more than {MaxPfxCertificates} certificates; it must hold one key and its certificate chain.");
        }

        return KeyFileRefusal.K2(
            $"The .pfx file asks for more key-derivation iterations than allowed (at most {MaxPfxIterations:N0}); " +
            "export it again with standard settings.");
    }

    private static KeyFileResult<LoadedKey> ReadSingleRsaKey(X509Certificate2Collection certificates)
    {
        var withPrivateKey = certificates.Where(certificate => certificate.HasPrivateKey).ToList();
        if (withPrivateKey.Count == 0)
        {
            return KeyFileRefusal.K2(
                "The .pfx file holds only a certificate (a public key); the key must include its private part.");
        }

        if (withPrivateKey.Count > 1)
        {
            return KeyFileRefusal.K2(
                $"The .pfx file holds {withPrivateKey.Count} private keys; it must hold exactly one.");
        }

        var certificate = withPrivateKey[0];
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is null)
        {
            return KeyFileRefusal.K2($"The key must be RSA; this one is {DescribeAlgorithm(certificate.PublicKey.Oid.Value)}.");
        }

        if (RequireSize(rsa) is { } sizeRefusal)
        {
            return sizeRefusal;
        }

        // Detach the key from the certificate objects, which are disposed when this returns.
        var pkcs8 = rsa.ExportPkcs8PrivateKey();
        try
        {
            var copy = RSA.Create();
            copy.ImportPkcs8PrivateKey(pkcs8, out _);
            return new LoadedKey(copy);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <returns>The PKCS#8 bytes, or null with a refusal when the ciphertext does not unwrap.</returns>
    private static byte[]? UnwrapByokCiphertext(byte[] ciphertext, RSA keyExchangeKey, out KeyFileRefusal? refusal)
    {
        refusal = KeyFileRefusal.K2(
            "The .byok file does not unwrap with this region's key-exchange key: its ciphertext was altered or damaged.");
        var transportKeyLength = keyExchangeKey.KeySize / 8;

        // RFC 5649 output is at least 16 bytes.
        if (ciphertext.Length < transportKeyLength + 16)
        {
            return null;
        }

        byte[]? transportKey = null;
        try
        {
            transportKey = keyExchangeKey.Decrypt(ciphertext.AsSpan(0, transportKeyLength), ByokFile.TransportKeyPadding);
            if (transportKey.Length != ByokFile.TransportKeyBytes)
            {
                refusal = KeyFileRefusal.K2(
                    $"The .byok file must wrap its key with an AES-256 transport key; this one is {transportKey.Length * 8} bits.");
                return null;
            }

            using var aes = Aes.Create();
            aes.Key = transportKey;
            var pkcs8 = aes.DecryptKeyWrapPadded(ciphertext.AsSpan(transportKeyLength));
            refusal = null;
            return pkcs8;
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            if (transportKey is not null)
            {
                CryptographicOperations.ZeroMemory(transportKey);
            }
        }
    }

    private static KeyFileResult<LoadedKey> ReadPkcs8(byte[] pkcs8)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(pkcs8, out var bytesRead);
            if (bytesRead != pkcs8.Length)
            {
                rsa.Dispose();
                return KeyFileRefusal.K2("The .byok file carries more than one PKCS#8 private key; it must carry exactly one.");
            }
        }
        catch (CryptographicException)
        {
            rsa.Dispose();

            // The crypto library refuses an RSA key whose private fields do not fit its public key (n, e) at import:
            // the same refusal as when such a key fails the proof of possession.
            return IsWellFormedRsaPkcs8(pkcs8)
                ? PossessionProof.Mismatch
                : KeyFileRefusal.K2($"The key must be RSA; the .byok file carries {DescribeNonRsaPkcs8(pkcs8)}.");
        }

        if (RequireSize(rsa) is { } sizeRefusal)
        {
            rsa.Dispose();
            return sizeRefusal;
        }

        return new LoadedKey(rsa);
    }

    private static KeyFileRefusal? RequireSize(RSA rsa) => RequireKeySize(rsa.KeySize);

    /// <summary>PrivateKeyInfo with rsaEncryption around a complete RFC 8017 RSAPrivateKey (version 0 and eight integers).</summary>
    private static bool IsWellFormedRsaPkcs8(byte[] pkcs8)
    {
        try
        {
            var outer = new AsnReader(pkcs8, AsnEncodingRules.DER);
            var info = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            info.ReadInteger();
            var algorithm = info.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != "1.2.840.113549.1.1.1")
            {
                return false;
            }

            var key = new AsnReader(info.ReadOctetString(), AsnEncodingRules.DER);
            var fields = key.ReadSequence();
            key.ThrowIfNotEmpty();
            if (!fields.TryReadInt32(out var version) || version != 0)
            {
                return false;
            }

            for (var i = 0; i < 8; i++)
            {
                fields.ReadInteger();
            }

            return !fields.HasData;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static string DescribeNonRsaPkcs8(byte[] pkcs8)
    {
        using var ec = ECDsa.Create();
        try
        {
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return "an EC (elliptic curve) key";
        }
        catch (CryptographicException)
        {
            return "something that is not a PKCS#8 private key";
        }
    }

    private static string DescribeAlgorithm(string? oid) => oid switch
    {
        "1.2.840.10045.2.1" => "EC (elliptic curve)",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => $"an algorithm with OID {oid ?? "unknown"}",
    };

    private static void DisposeAll(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }
}
