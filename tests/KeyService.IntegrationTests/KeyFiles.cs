using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyService.IntegrationTests;

/// <summary>Key files as an admin would bring them: made by openssl (fixtures) or by .NET here.</summary>
public static class KeyFiles
{
    public const string FixturePassword = "test-password-K2";

    public static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    public static (byte[] Pfx, RSA Key) DotNetPfx(string password, int bits = 2048)
    {
        var key = RSA.Create(bits);
        var request = new CertificateRequest("CN=tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
        return (certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password), key);
    }

    public static string Thumbprint(RSA key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    public static MultipartFormDataContent Upload(string name, byte[] file, string fileName, string? password, bool acknowledgeRisk = true)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(name), "name" },
            { new StringContent(acknowledgeRisk ? "true" : "false"), "acknowledgeRisk" },
            { new ByteArrayContent(file), "file", fileName },
        };
        if (password is not null) form.Add(new StringContent(password), "password");
        return form;
    }
}
