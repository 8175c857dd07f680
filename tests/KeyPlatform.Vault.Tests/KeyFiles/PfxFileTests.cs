using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.KeyFiles;

public sealed class PfxFileTests
{
    [Fact, Trait("Rule", "K2")]
    public void Pfx_made_by_openssl_with_an_RSA_2048_key_and_a_password_is_accepted_K2()
    {
        var result = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), Fixtures.Password);

        result.IsRefused.ShouldBeFalse(result.Refusal?.Reason);
        using var key = result.Value;
        key.PrivateKey.KeySize.ShouldBe(2048);
        using var certificate = X509Certificate2.CreateFromPem(Fixtures.Text("rsa2048.crt.pem"));
        using var publicKey = certificate.GetRSAPublicKey()!;
        key.Thumbprint.ShouldBe(KeyThumbprint.Of(publicKey));
        key.Thumbprint.ShouldMatch("^[0-9a-f]{64}$");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_exported_by_dotnet_with_PBES2_AES_256_is_accepted_K2()
    {
        using var rsa = TestKeys.Rsa2048();

        var result = KeyFileReader.ReadPfx(TestKeys.Pfx(rsa, "correct horse"), "correct horse");

        result.IsRefused.ShouldBeFalse(result.Refusal?.Reason);
        using var key = result.Value;
        key.Thumbprint.ShouldBe(KeyThumbprint.Of(rsa));
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_uploaded_without_its_password_is_refused_K2()
    {
        var result = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), password: null);

        ShouldBeRefusedK2(result, "password is required");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_with_a_wrong_password_is_refused_and_the_reason_does_not_repeat_it_K2()
    {
        const string wrongPassword = "not-the-password-4711";

        var result = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), wrongPassword);

        ShouldBeRefusedK2(result, "password does not open");
        result.Refusal!.Reason.ShouldNotContain(wrongPassword);
        result.Refusal.ToString().ShouldNotContain(wrongPassword);
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData("no-password.pfx", "anything")]
    [InlineData("no-password.pfx", null)]
    [InlineData("empty-password.pfx", Fixtures.Password)]
    [InlineData("empty-password.pfx", "")]
    public void Pfx_that_opens_without_a_password_is_refused_whatever_password_is_typed_K2(string file, string? typed)
    {
        var result = KeyFileReader.ReadPfx(Fixtures.Bytes(file), typed);

        ShouldBeRefusedK2(result, "not password protected");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_exported_by_dotnet_without_a_password_is_refused_K2()
    {
        using var rsa = TestKeys.Rsa2048();
        using var certificate = TestKeys.SelfSigned(rsa);
        var unprotected = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null);

        ShouldBeRefusedK2(KeyFileReader.ReadPfx(unprotected, "typed anyway"), "not password protected");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_with_an_EC_key_is_refused_K2()
    {
        var result = KeyFileReader.ReadPfx(Fixtures.Bytes("ec-p256.pfx"), Fixtures.Password);

        ShouldBeRefusedK2(result, "must be RSA");
        result.Refusal!.Reason.ShouldContain("EC");
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData("rsa1024.pfx", 1024)]
    [InlineData("rsa4096.pfx", 4096)]
    public void Pfx_with_an_RSA_key_that_is_not_2048_bits_is_refused_K2(string file, int bits)
    {
        var result = KeyFileReader.ReadPfx(Fixtures.Bytes(file), Fixtures.Password);

        ShouldBeRefusedK2(result, "must be RSA 2048 bits");
        result.Refusal!.Reason.ShouldBe($"The key must be RSA 2048 bits; this one is {bits} bits.");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_with_only_a_public_certificate_is_refused_K2()
    {
        var result = KeyFileReader.ReadPfx(Fixtures.Bytes("cert-only.pfx"), Fixtures.Password);

        ShouldBeRefusedK2(result, "private part");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_with_two_private_keys_is_refused_K2()
    {
        var result = KeyFileReader.ReadPfx(TestKeys.PfxWithTwoKeys("pw-two-keys"), "pw-two-keys");

        ShouldBeRefusedK2(result, "exactly one");
    }

    [Fact, Trait("Rule", "K2")]
    public void Random_bytes_are_refused_as_not_a_pfx_K2()
    {
        var result = KeyFileReader.ReadPfx(RandomNumberGenerator.GetBytes(3000), Fixtures.Password);

        ShouldBeRefusedK2(result, "not a PKCS#12");
    }

    [Fact, Trait("Rule", "K2")]
    public void Truncated_pfx_is_refused_as_damaged_K2()
    {
        var file = Fixtures.Bytes("rsa2048.pfx");

        var result = KeyFileReader.ReadPfx(file[..(file.Length / 2)], Fixtures.Password);

        ShouldBeRefusedK2(result, "damaged");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_altered_inside_is_refused_K2()
    {
        var file = Fixtures.Bytes("rsa2048.pfx");
        file[file.Length / 2] ^= 0x5a;

        ShouldBeRefusedK2(KeyFileReader.ReadPfx(file, Fixtures.Password), "altered");
    }

    [Fact, Trait("Rule", "K2")]
    public void Empty_file_is_refused_K2()
    {
        ShouldBeRefusedK2(KeyFileReader.ReadPfx([], Fixtures.Password), "empty");
    }

    [Fact, Trait("Rule", "K2")]
    public void File_over_the_size_cap_is_refused_before_being_parsed_K2()
    {
        var file = new byte[KeyFileReader.MaxFileBytes + 1];
        Fixtures.Bytes("rsa2048.pfx").CopyTo(file, 0);

        var result = KeyFileReader.ReadPfx(file, Fixtures.Password);

        ShouldBeRefusedK2(result, "at most 65,536 bytes");
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_with_an_absurd_MAC_iteration_count_is_refused_at_once_K2()
    {
        // int.MaxValue PBKDF iterations would keep a core busy for hours if anything derived the MAC key first.
        var hostile = TestKeys.WithMacIterations(Fixtures.Bytes("rsa2048.pfx"), int.MaxValue);

        var clock = Stopwatch.StartNew();
        var result = KeyFileReader.ReadPfx(hostile, Fixtures.Password);
        clock.Stop();

        ShouldBeRefusedK2(result, "iterations");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact, Trait("Rule", "K2")]
    public void Pfx_just_over_the_iteration_limit_is_refused_K2()
    {
        using var rsa = TestKeys.Rsa2048();
        var overLimit = TestKeys.PfxWithIterations(rsa, "pw-iterations", KeyFileReader.MaxPfxIterations + 1);

        ShouldBeRefusedK2(KeyFileReader.ReadPfx(overLimit, "pw-iterations"), "at most 600,000");
    }

    [Fact, Trait("Rule", "K2")]
    public void Accepted_key_does_not_show_its_private_part_in_ToString_K2()
    {
        using var key = KeyFileReader.ReadPfx(Fixtures.Bytes("rsa2048.pfx"), Fixtures.Password).Value;
        var pkcs8 = Convert.ToBase64String(key.PrivateKey.ExportPkcs8PrivateKey());

        key.ToString().ShouldNotContain(pkcs8[..40]);
        key.ToString().ShouldContain(key.Thumbprint);
    }

    private static void ShouldBeRefusedK2(KeyFileResult<LoadedKey> result, string reasonPart)
    {
        result.IsRefused.ShouldBeTrue();
        result.Refusal!.Rule.ShouldBe("K2");
        result.Refusal.Reason.ShouldContain(reasonPart, Case.Insensitive);
        result.Refusal.Reason.ShouldEndWith(".");
    }
}
