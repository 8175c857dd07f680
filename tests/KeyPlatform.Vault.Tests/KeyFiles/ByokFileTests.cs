using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.KeyFiles;

public sealed class ByokFileTests
{
    [Fact, Trait("Rule", "K4")]
    public void Byok_built_for_this_key_exchange_key_gives_back_the_same_key_K4()
    {
        using var kek = TestKeys.KeyExchangeKey();
        using var tenantKey = TestKeys.Rsa2048();
        var byok = ByokFile.Create(tenantKey.ExportPkcs8PrivateKey(), kek.PrivateKey, kek.Kid);

        var result = KeyFileReader.ReadByok(byok, kek);

        result.IsRefused.ShouldBeFalse(result.Refusal?.Reason);
        using var key = result.Value;
        key.Thumbprint.ShouldBe(KeyThumbprint.Of(tenantKey));
        key.PrivateKey.ExportParameters(true).D.ShouldBe(tenantKey.ExportParameters(true).D);
    }

    [Fact, Trait("Rule", "K4")]
    public void Byok_made_with_openssl_alone_is_accepted_K4()
    {
        using var kek = new KeyExchangeKey(Fixtures.OpensslKid, TestKeys.FromPem(Fixtures.Text("kek-rsa2048.key.pem")));

        var result = KeyFileReader.ReadByok(Fixtures.Bytes("openssl-rsa2048.byok"), kek);

        result.IsRefused.ShouldBeFalse(result.Refusal?.Reason);
        using var key = result.Value;
        using var expected = TestKeys.FixtureRsa2048();
        key.Thumbprint.ShouldBe(KeyThumbprint.Of(expected));
    }

    [Fact, Trait("Rule", "K4")]
    public void Byok_file_has_the_documented_shape_and_an_independently_unwrappable_ciphertext_K4()
    {
        using var kek = TestKeys.KeyExchangeKey();
        var pkcs8 = TestKeys.Rsa2048Pkcs8();

        var json = JsonNode.Parse(ByokFile.Create(pkcs8, kek.PrivateKey, kek.Kid, "test generator"))!;

        json["schema_version"]!.GetValue<string>().ShouldBe("1.0.0");
        json["header"]!["kid"]!.GetValue<string>().ShouldBe(kek.Kid);
        json["header"]!["alg"]!.GetValue<string>().ShouldBe("dir");
        json["header"]!["enc"]!.GetValue<string>().ShouldBe("CKM_RSA_AES_KEY_WRAP");
        json["generator"]!.GetValue<string>().ShouldBe("test generator");
        var encoded = json["ciphertext"]!.GetValue<string>();
        encoded.ShouldMatch("^[A-Za-z0-9_-]+$"); // base64url, no padding
        var ciphertext = Base64Url.DecodeFromChars(encoded);
        var modulusBytes = kek.PrivateKey.KeySize / 8;
        var transportKey = kek.PrivateKey.Decrypt(ciphertext.AsSpan(0, modulusBytes), RSAEncryptionPadding.OaepSHA1);
        transportKey.Length.ShouldBe(32);
        using var aes = Aes.Create();
        aes.Key = transportKey;
        aes.DecryptKeyWrapPadded(ciphertext.AsSpan(modulusBytes)).ShouldBe(pkcs8);
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_wrapped_for_another_key_exchange_key_is_refused_K2()
    {
        using var ours = TestKeys.KeyExchangeKey("kek-westeurope-ours");
        using var theirs = RSA.Create(2048);
        var byok = ByokFile.Create(TestKeys.Rsa2048Pkcs8(), theirs, "kek-elsewhere-theirs");

        var result = KeyFileReader.ReadByok(byok, ours);

        ShouldBeRefusedK2(result, "wrapped for another key-exchange key");
        result.Refusal!.Reason.ShouldContain("kek-westeurope-ours");
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_naming_our_kid_but_wrapped_with_another_public_key_is_refused_K2()
    {
        using var ours = TestKeys.KeyExchangeKey();
        using var theirs = RSA.Create(2048);
        var byok = ByokFile.Create(TestKeys.Rsa2048Pkcs8(), theirs, ours.Kid);

        ShouldBeRefusedK2(KeyFileReader.ReadByok(byok, ours), "altered or damaged");
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData(10)] // inside the RSA-OAEP part
    [InlineData(300)] // inside the RFC 5649 part
    [InlineData(-1)] // last byte
    public void Byok_with_a_tampered_ciphertext_is_refused_K2(int offset)
    {
        using var kek = TestKeys.KeyExchangeKey();
        var json = JsonNode.Parse(ByokFile.Create(TestKeys.Rsa2048Pkcs8(), kek.PrivateKey, kek.Kid))!;
        var ciphertext = Base64Url.DecodeFromChars(json["ciphertext"]!.GetValue<string>());
        ciphertext[offset < 0 ? ciphertext.Length + offset : offset] ^= 0x01;
        json["ciphertext"] = Base64Url.EncodeToString(ciphertext);

        ShouldBeRefusedK2(KeyFileReader.ReadByok(Encoding.UTF8.GetBytes(json.ToJsonString()), kek), "altered or damaged");
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_that_is_not_JSON_is_refused_K2()
    {
        using var kek = TestKeys.KeyExchangeKey();

        ShouldBeRefusedK2(KeyFileReader.ReadByok(Fixtures.Bytes("rsa2048.pfx"), kek), "not valid JSON");
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData("schema_version")]
    [InlineData("header")]
    [InlineData("header.kid")]
    [InlineData("header.enc")]
    [InlineData("header.alg")]
    [InlineData("ciphertext")]
    public void Byok_missing_a_field_is_refused_naming_the_field_K2(string field)
    {
        using var kek = TestKeys.KeyExchangeKey();
        var json = JsonNode.Parse(ByokFile.Create(TestKeys.Rsa2048Pkcs8(), kek.PrivateKey, kek.Kid))!.AsObject();
        var path = field.Split('.');
        (path.Length == 1 ? json : json[path[0]]!.AsObject()).Remove(path[^1]);

        ShouldBeRefusedK2(KeyFileReader.ReadByok(Encoding.UTF8.GetBytes(json.ToJsonString()), kek), $"\"{field}\"");
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_with_another_wrapping_mechanism_is_refused_K2()
    {
        using var kek = TestKeys.KeyExchangeKey();
        var json = JsonNode.Parse(ByokFile.Create(TestKeys.Rsa2048Pkcs8(), kek.PrivateKey, kek.Kid))!;
        json["header"]!["enc"] = "CKM_AES_KEY_WRAP_PAD";

        ShouldBeRefusedK2(KeyFileReader.ReadByok(Encoding.UTF8.GetBytes(json.ToJsonString()), kek), "CKM_RSA_AES_KEY_WRAP");
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_carrying_an_EC_key_is_refused_K2()
    {
        using var kek = TestKeys.KeyExchangeKey();
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = KeyFileReader.ReadByok(ByokFile.Create(ec.ExportPkcs8PrivateKey(), kek.PrivateKey, kek.Kid), kek);

        ShouldBeRefusedK2(result, "must be RSA");
        result.Refusal!.Reason.ShouldContain("EC");
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData("rsa1024.pfx", 1024)]
    [InlineData("rsa4096.pfx", 4096)]
    public void Byok_carrying_an_RSA_key_that_is_not_2048_bits_is_refused_K2(string source, int bits)
    {
        using var kek = TestKeys.KeyExchangeKey();
        var pkcs8 = PrivateKeyOfFixture(source);

        var result = KeyFileReader.ReadByok(ByokFile.Create(pkcs8, kek.PrivateKey, kek.Kid), kek);

        ShouldBeRefusedK2(result, $"this one is {bits} bits");
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_over_the_size_cap_is_refused_K2()
    {
        using var kek = TestKeys.KeyExchangeKey();

        ShouldBeRefusedK2(KeyFileReader.ReadByok(new byte[KeyFileReader.MaxFileBytes + 1], kek), "at most");
    }

    [Fact, Trait("Rule", "K2")]
    public void Byok_echoes_no_long_or_unprintable_value_from_the_file_into_its_reason_K2()
    {
        using var kek = TestKeys.KeyExchangeKey();
        var json = JsonNode.Parse(ByokFile.Create(TestKeys.Rsa2048Pkcs8(), kek.PrivateKey, kek.Kid))!;
        json["header"]!["kid"] = new string('x', 5000);

        var result = KeyFileReader.ReadByok(Encoding.UTF8.GetBytes(json.ToJsonString()), kek);

        ShouldBeRefusedK2(result, "another key-exchange key");
        result.Refusal!.Reason.Length.ShouldBeLessThan(300);
    }

    private static byte[] PrivateKeyOfFixture(string pfx)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12(
            Fixtures.Bytes(pfx), Fixtures.Password, X509KeyStorageFlags.Exportable);
        using var rsa = certificate.GetRSAPrivateKey()!;
        return rsa.ExportPkcs8PrivateKey();
    }

    private static void ShouldBeRefusedK2(KeyFileResult<LoadedKey> result, string reasonPart)
    {
        result.IsRefused.ShouldBeTrue();
        result.Refusal!.Rule.ShouldBe("K2");
        result.Refusal.Reason.ShouldContain(reasonPart, Case.Insensitive);
        result.Refusal.Reason.ShouldEndWith(".");
    }
}
