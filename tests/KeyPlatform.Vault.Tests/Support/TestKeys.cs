using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.Vault.Tests.Support;

/// <summary>Keys and hostile key files made in code, for what openssl cannot easily make.</summary>
internal static class TestKeys
{
    private static readonly Lazy<byte[]> SharedRsa2048 = new(() => NewPkcs8(2048));
    private static readonly Lazy<byte[]> SharedKek2048 = new(() => NewPkcs8(2048));

    /// <summary>A fresh copy of one RSA 2048-bit key shared by the tests (generating one costs ~130 ms).</summary>
    public static RSA Rsa2048() => FromPkcs8(SharedRsa2048.Value);

    public static byte[] Rsa2048Pkcs8() => SharedRsa2048.Value.ToArray();

    public static KeyExchangeKey KeyExchangeKey(string kid = "kek-test-region") => new(kid, FromPkcs8(SharedKek2048.Value));

    public static RSA FromPkcs8(byte[] pkcs8)
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }

    public static RSA FixtureRsa2048() => FromPem(Fixtures.Text("rsa2048.key.pem"));

    public static RSA FromPem(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }

    public static X509Certificate2 SelfSigned(RSA key, string subject = "CN=test") =>
        new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddYears(1));

    public static byte[] Pfx(RSA key, string password)
    {
        using var certificate = SelfSigned(key);
        return certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }

    public static byte[] PfxWithTwoKeys(string password)
    {
        using var first = Rsa2048();
        using var second = RSA.Create(2048);
        using var firstCertificate = SelfSigned(first, "CN=first");
        using var secondCertificate = SelfSigned(second, "CN=second");
        return new X509Certificate2Collection { firstCertificate, secondCertificate }
            .ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }

    public static byte[] PfxWithIterations(RSA key, string password, int iterations)
    {
        using var certificate = SelfSigned(key);
        return certificate.ExportPkcs12(
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterations), password);
    }

    /// <summary>
    /// The same PFX with its MAC iteration count rewritten: an attacker's file that would keep a loader busy for
    /// hours if it derived the MAC key before checking the count.
    /// </summary>
    public static byte[] WithMacIterations(byte[] pfx, int iterations)
    {
        var reader = new AsnReader(pfx, AsnEncodingRules.BER);
        var outer = reader.ReadSequence();
        var version = outer.ReadInteger();
        var authSafe = outer.ReadEncodedValue();
        var macData = outer.ReadSequence();
        var digestInfo = macData.ReadEncodedValue();
        var salt = macData.ReadOctetString();

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(version);
            writer.WriteEncodedValue(authSafe.Span);
            using (writer.PushSequence())
            {
                writer.WriteEncodedValue(digestInfo.Span);
                writer.WriteOctetString(salt);
                writer.WriteInteger(iterations);
            }
        }

        return writer.Encode();
    }

    private static byte[] NewPkcs8(int bits)
    {
        using var rsa = RSA.Create(bits);
        return rsa.ExportPkcs8PrivateKey();
    }
}
