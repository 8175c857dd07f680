using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// The master key file under <c>Vault:MasterKeyWrapping=Pkcs11</c>: a small JSON document whose header names the format,
/// the token, the wrapping key (label and <c>CKA_ID</c>) and the mechanism, then the IV and the AES-GCM ciphertext with
/// its tag. The header is the GCM associated data, so a header changed to point at another key or token does not open.
/// It never holds the plaintext master key.
/// </summary>
public sealed record WrappedMasterKey(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("keyLabel")] string KeyLabel,
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("mechanism")] string Mechanism,
    [property: JsonPropertyName("iv")] byte[] Iv,
    [property: JsonPropertyName("ciphertext")] byte[] Ciphertext)
{
    public const string FormatV1 = "keyplatform-wrapped-master-key/1";
    public const string AesGcm = "CKM_AES_GCM";
    public const int IvSize = 12;
    public const int TagSize = 16;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>What GCM authenticates besides the ciphertext: every header field, one per line.</summary>
    public byte[] AssociatedData() => Encoding.UTF8.GetBytes(string.Join('\n', Format, Token, KeyLabel, KeyId, Mechanism));

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>Whether a master key file's text is a wrapped master key (JSON) rather than plain base64.</summary>
    public static bool IsWrapped(string text) => text.TrimStart().StartsWith('{');

    /// <param name="source">Where the text came from, for the errors (never the text itself).</param>
    public static WrappedMasterKey Parse(string text, string source)
    {
        WrappedMasterKey? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<WrappedMasterKey>(text, Json);
        }
        catch (JsonException)
        {
            parsed = null;
        }

        if (parsed is null || parsed.Format is null || parsed.Token is null || parsed.KeyLabel is null || parsed.KeyId is null ||
            parsed.Mechanism is null || parsed.Iv is null || parsed.Ciphertext is null)
        {
            throw new InvalidOperationException($"{source} is not a wrapped master key: it must be the JSON that " +
                "'keyplatform master-key create' or 'keyplatform master-key wrap' writes.");
        }

        if (parsed.Format != FormatV1)
        {
            throw new InvalidOperationException($"{source} is in format '{parsed.Format}'; this version reads '{FormatV1}'.");
        }

        if (parsed.Mechanism != AesGcm)
        {
            throw new InvalidOperationException($"{source} names the mechanism '{parsed.Mechanism}'; only {AesGcm} is read.");
        }

        if (parsed.Iv.Length != IvSize || parsed.Ciphertext.Length != MasterKey.SizeInBytes + TagSize)
        {
            throw new InvalidOperationException($"{source} has been altered: its IV or ciphertext has the wrong length.");
        }

        return parsed;
    }
}
