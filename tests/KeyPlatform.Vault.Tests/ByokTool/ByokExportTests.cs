using System.Security.Cryptography;
using KeyPlatform.ByokTool;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.ByokTool;

/// <summary>keyplatform-byok, run through its core from files on disk to a .byok the platform reads.</summary>
public sealed class ByokExportTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly KeyExchangeKey _kek = TestKeys.KeyExchangeKey("kek-westeurope-tool");
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();
    private readonly string _kekPath;

    public ByokExportTests()
    {
        _kekPath = _directory.Write("kek.pem", _kek.PrivateKey.ExportSubjectPublicKeyInfoPem());
    }

    [Theory, Trait("Rule", "K4")]
    [InlineData("rsa2048.key.pem", null)]
    [InlineData("rsa2048.pfx", Fixtures.Password)]
    public void Tool_wraps_a_key_file_into_a_byok_the_platform_accepts_K4(string keyFile, string? password)
    {
        var outPath = _directory.PathOf("out.byok");

        var exitCode = Run(Fixtures.PathOf(keyFile), password, outPath);

        exitCode.ShouldBe(ByokExport.Succeeded, _error.ToString());
        var read = KeyFileReader.ReadByok(File.ReadAllBytes(outPath), _kek);
        read.IsRefused.ShouldBeFalse(read.Refusal?.Reason);
        using var key = read.Value;
        using var expected = TestKeys.FixtureRsa2048();
        key.Thumbprint.ShouldBe(KeyThumbprint.Of(expected));
        _output.ToString().ShouldContain(key.Thumbprint);
    }

    [Fact, Trait("Rule", "K4")]
    public void Tool_reads_an_encrypted_PKCS8_PEM_with_its_password_K4()
    {
        using var rsa = TestKeys.FixtureRsa2048();
        var pem = rsa.ExportEncryptedPkcs8PrivateKeyPem("pem-password",
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));
        var keyPath = _directory.Write("encrypted.pem", pem);

        Run(keyPath, "pem-password", _directory.PathOf("out.byok")).ShouldBe(ByokExport.Succeeded, _error.ToString());
        Run(keyPath, null, _directory.PathOf("other.byok")).ShouldBe(ByokExport.Failed);
        _error.ToString().ShouldContain("--password");
    }

    [Fact, Trait("Rule", "K4")]
    public void Tool_reads_a_PKCS1_PEM_and_a_PEM_with_openssl_bag_attributes_in_front_K4()
    {
        using var rsa = TestKeys.FixtureRsa2048();
        var pkcs1 = _directory.Write("pkcs1.pem", rsa.ExportRSAPrivateKeyPem());
        var withBagAttributes = _directory.Write("bag.pem",
            "Bag Attributes\n    localKeyID: 01 00 00 00\nKey Attributes: <No Attributes>\n" + rsa.ExportPkcs8PrivateKeyPem());

        Run(pkcs1, null, _directory.PathOf("one.byok")).ShouldBe(ByokExport.Succeeded, _error.ToString());
        Run(withBagAttributes, null, _directory.PathOf("two.byok")).ShouldBe(ByokExport.Succeeded, _error.ToString());
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData("rsa4096.pfx", Fixtures.Password, "2048 bits")]
    [InlineData("rsa2048.pfx", "not-the-password-4711", "password does not open")]
    [InlineData("ec-p256.pfx", Fixtures.Password, "must be RSA")]
    [InlineData("no-password.pfx", null, "not password protected")]
    [InlineData("rsa2048.crt.pem", null, "no RSA key")]
    [InlineData("kek-rsa2048.pub.pem", null, "only a public key")]
    [InlineData("does-not-exist.pem", null, "does not exist")]
    public void Tool_refuses_a_key_the_platform_would_refuse_with_a_clear_error_and_exit_code_1_K2(
        string keyFile, string? password, string expectedError)
    {
        var outPath = _directory.PathOf("refused.byok");

        var exitCode = Run(Fixtures.PathOf(keyFile), password, outPath);

        exitCode.ShouldBe(ByokExport.Failed);
        _error.ToString().ShouldStartWith("error: ");
        _error.ToString().ShouldContain(expectedError, Case.Insensitive);
        File.Exists(outPath).ShouldBeFalse();
        if (password is not null)
        {
            _error.ToString().ShouldNotContain(password);
        }
    }

    [Fact, Trait("Rule", "K4")]
    public void Tool_does_not_overwrite_an_existing_file_K4()
    {
        var outPath = _directory.Write("existing.byok", "keep me");

        Run(Fixtures.PathOf("rsa2048.key.pem"), null, outPath).ShouldBe(ByokExport.Failed);

        File.ReadAllText(outPath).ShouldBe("keep me");
        _error.ToString().ShouldContain("already exists");
    }

    [Fact, Trait("Rule", "K4")]
    public void Tool_refuses_a_key_exchange_key_that_is_not_a_public_key_PEM_K4()
    {
        var notPem = _directory.Write("kek.txt", "hello");

        var exitCode = ByokExport.Run(
            new ByokExportRequest(notPem, _kek.Kid, Fixtures.PathOf("rsa2048.key.pem"), null, _directory.PathOf("x.byok")),
            _output, _error);

        exitCode.ShouldBe(ByokExport.Failed);
        _error.ToString().ShouldContain("not an RSA public key");
    }

    private int Run(string keyPath, string? password, string outPath) =>
        ByokExport.Run(new ByokExportRequest(_kekPath, _kek.Kid, keyPath, password, outPath), _output, _error);

    public void Dispose()
    {
        _kek.Dispose();
        _directory.Dispose();
    }
}
