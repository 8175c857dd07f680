using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EnvironmentEncryption.IntegrationTests.Support;

/// <summary>A tenant key as an admin brings it: a password-protected .pfx of an RSA-2048 key.</summary>
public sealed class TenantKeyFile
{
    public const string Password = "a long enough pfx password";

    private TenantKeyFile(RSA key, byte[] pfx)
    {
        Key = key;
        Pfx = pfx;
        Thumbprint = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public RSA Key { get; }
    public byte[] Pfx { get; }
    public string Thumbprint { get; }

    public static TenantKeyFile Create()
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
        return new TenantKeyFile(key, certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password));
    }

    public MultipartFormDataContent Upload(string name) => new()
    {
        { new StringContent(name), "name" },
        { new StringContent("true"), "acknowledgeRisk" },
        { new ByteArrayContent(Pfx), "file", $"{name}.pfx" },
        { new StringContent(Password), "password" },
    };
}
