using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// Wraps a generated key in a self-signed certificate and exports it as a password-protected .pfx (K3). The
/// certificate only carries the key to the admin; its dates and subject play no part in the platform.
/// </summary>
internal static class SelfSignedPfx
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    public static byte[] Export(RSA privateKey, VaultKeyName name, string password, DateTimeOffset now)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name.Value);
        var request = new CertificateRequest(subject.Build(), privateKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.DigitalSignature, true));

        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(Validity));
        return certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }
}
