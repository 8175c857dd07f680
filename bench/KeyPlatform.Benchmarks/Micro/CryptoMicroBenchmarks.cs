using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;

namespace KeyPlatform.Benchmarks.Micro;

/// <summary>The bare operations the vault and the upload are built from, each on its own: where BenchmarkDotNet fits.</summary>
public class CryptoMicroBenchmarks
{
    private const string Password = "bench-pfx-password";
    private static readonly RSAEncryptionPadding Padding = RSAEncryptionPadding.OaepSHA256;

    private RSA key = null!;
    private byte[] dataKey = [];
    private byte[] ciphertext = [];
    private byte[] pkcs8 = [];
    private byte[] pfx = [];
    private byte[] publicKey = [];
    private MasterKey masterKey = null!;
    private byte[] sealedPkcs8 = [];

    [GlobalSetup]
    public void SetUp()
    {
        key = RSA.Create(2048);
        dataKey = RandomNumberGenerator.GetBytes(32);
        ciphertext = key.Encrypt(dataKey, Padding);
        pkcs8 = key.ExportPkcs8PrivateKey();
        publicKey = key.ExportSubjectPublicKeyInfo();
        masterKey = MasterKey.CreateRandom();
        sealedPkcs8 = masterKey.Seal(pkcs8, "key-id|tenant|thumbprint");
        var request = new CertificateRequest("CN=bench tenant key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        pfx = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password);
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        key.Dispose();
        masterKey.Dispose();
    }

    [Benchmark(Description = "RSA-2048 OAEP-SHA256 encrypt (wrap)")]
    public byte[] RsaEncrypt() => key.Encrypt(dataKey, Padding);

    [Benchmark(Description = "RSA-2048 OAEP-SHA256 decrypt (unwrap)")]
    public byte[] RsaDecrypt() => key.Decrypt(ciphertext, Padding);

    /// <summary>The CPU part of a vault wrap besides the row read: a fresh RSA object from the stored public key.</summary>
    [Benchmark(Description = "RSA public key import + encrypt (vault wrap, CPU part)")]
    public byte[] PublicKeyImportEncrypt()
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        return rsa.Encrypt(dataKey, Padding);
    }

    /// <summary>The integrity check a vault wrap makes: open the AES-256-GCM seal of the private key.</summary>
    [Benchmark(Description = "AES-256-GCM open of the sealed PKCS#8 (vault wrap check)")]
    public int SealOpen()
    {
        var opened = masterKey.Open(sealedPkcs8, "key-id|tenant|thumbprint");
        CryptographicOperations.ZeroMemory(opened);
        return opened.Length;
    }

    /// <summary>What an unwrap pays when the vault's private-key cache misses.</summary>
    [Benchmark(Description = "RSA-2048 PKCS#8 private key import")]
    public int Pkcs8Import()
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out var read);
        return read;
    }

    [Benchmark(Description = "PFX load (LoadPkcs12 + GetRSAPrivateKey)")]
    public int PfxLoad()
    {
        using var certificate = X509CertificateLoader.LoadPkcs12(pfx, Password,
            X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        using var rsa = certificate.GetRSAPrivateKey()!;
        return rsa.KeySize;
    }

    [Benchmark(Description = "KeyFileReader.ReadPfx (K2 checks)")]
    public bool ReadPfx()
    {
        var read = KeyFileReader.ReadPfx(pfx, Password);
        read.Value.Dispose();
        return read.IsRefused;
    }
}
