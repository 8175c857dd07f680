using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>
/// The .byok format (the one Azure Key Vault accepts from HSM vendors' tools): a JSON document
/// <c>{ schema_version, header: { kid, alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" }, ciphertext, generator }</c>, where
/// ciphertext (base64url, no padding) is CKM_RSA_AES_KEY_WRAP: RSA-OAEP-SHA1 of an ephemeral AES-256 transport key
/// (as many bytes as the key-exchange key's modulus), followed by the RFC 5649 AES key wrap with padding of the
/// PKCS#8 private key.
/// </summary>
public static class ByokFile
{
    public const string SchemaVersion = "1.0.0";
    public const string Algorithm = "dir";
    public const string Encryption = "CKM_RSA_AES_KEY_WRAP";
    public const string DefaultGenerator = "keyplatform-byok";

    /// <summary>CKM_RSA_AES_KEY_WRAP as HSM vendors implement it for BYOK uses OAEP with SHA-1 and MGF1-SHA-1.</summary>
    internal static readonly RSAEncryptionPadding TransportKeyPadding = RSAEncryptionPadding.OaepSHA1;

    internal const int TransportKeyBytes = 32;

    /// <summary>Builds a .byok file for <paramref name="kid"/>, as an HSM vendor's BYOK tool would.</summary>
    public static byte[] Create(ReadOnlySpan<byte> pkcs8PrivateKey, RSA keyExchangePublicKey, string kid,
        string generator = DefaultGenerator)
    {
        ArgumentNullException.ThrowIfNull(keyExchangePublicKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(kid);
        ArgumentException.ThrowIfNullOrWhiteSpace(generator);
        if (pkcs8PrivateKey.IsEmpty)
        {
            throw new ArgumentException("The private key to wrap is empty.", nameof(pkcs8PrivateKey));
        }

        var transportKey = RandomNumberGenerator.GetBytes(TransportKeyBytes);
        try
        {
            var wrappedTransportKey = keyExchangePublicKey.Encrypt(transportKey, TransportKeyPadding);
            using var aes = Aes.Create();
            aes.Key = transportKey;
            var wrappedPrivateKey = aes.EncryptKeyWrapPadded(pkcs8PrivateKey);
            return WriteJson(kid, [.. wrappedTransportKey, .. wrappedPrivateKey], generator);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(transportKey);
        }
    }

    private static byte[] WriteJson(string kid, byte[] ciphertext, string generator)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("schema_version", SchemaVersion);
            json.WriteStartObject("header");
            json.WriteString("kid", kid);
            json.WriteString("alg", Algorithm);
            json.WriteString("enc", Encryption);
            json.WriteEndObject();
            json.WriteString("ciphertext", Base64Url.EncodeToString(ciphertext));
            json.WriteString("generator", generator);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads the JSON envelope; checks its shape and algorithm, not the key inside.</summary>
    internal static KeyFileResult<ByokEnvelope> Parse(byte[] file)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException)
        {
            return KeyFileRefusal.K2("The .byok file is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return KeyFileRefusal.K2("The .byok file must be a JSON object.");
            }

            if (!TryGetString(root, "schema_version", out _))
            {
                return MissingField("schema_version");
            }

            if (!root.TryGetProperty("header", out var header) || header.ValueKind != JsonValueKind.Object)
            {
                return MissingField("header");
            }

            if (!TryGetString(header, "kid", out var kid))
            {
                return MissingField("header.kid");
            }

            if (!TryGetString(header, "enc", out var enc))
            {
                return MissingField("header.enc");
            }

            if (enc != Encryption)
            {
                return KeyFileRefusal.K2(
                    $"The .byok file must be wrapped with {Encryption}; this one uses {Shown(enc)}.");
            }

            if (!TryGetString(header, "alg", out var alg))
            {
                return MissingField("header.alg");
            }

            if (alg != Algorithm)
            {
                return KeyFileRefusal.K2($"The .byok file must use alg \"{Algorithm}\"; this one uses {Shown(alg)}.");
            }

            if (!TryGetString(root, "ciphertext", out var encoded))
            {
                return MissingField("ciphertext");
            }

            byte[] ciphertext;
            try
            {
                ciphertext = Base64Url.DecodeFromChars(encoded);
            }
            catch (FormatException)
            {
                return KeyFileRefusal.K2("The ciphertext of the .byok file is not base64url.");
            }

            return new ByokEnvelope(kid, ciphertext);
        }
    }

    private static bool TryGetString(JsonElement element, string name, out string value)
    {
        value = "";
        if (!element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = property.GetString() ?? "";
        return value.Length > 0;
    }

    private static KeyFileRefusal MissingField(string field) =>
        KeyFileRefusal.K2($"The .byok file lacks the field \"{field}\".");

    /// <summary>Values from the file are echoed into reasons only when short and printable.</summary>
    internal static string Shown(string value) =>
        value.Length <= 80 && !value.Any(char.IsControl) ? $"\"{value}\"" : "an unrecognised value";
}

/// <summary>The parts of a .byok file that matter once its shape is checked.</summary>
internal sealed record ByokEnvelope(string Kid, byte[] Ciphertext)
{
    public override string ToString() => $"ByokEnvelope {{ Kid = {Kid}, Ciphertext = [{Ciphertext.Length} bytes] }}";
}
