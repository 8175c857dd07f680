using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// The JSON bodies the adapter sends, written with <see cref="Utf8JsonWriter"/> into a buffer the caller zeroes after the
/// request (<see cref="KeyVaultBody.Dispose"/>): an import carries the private key's CRT parameters.
/// </summary>
internal static class KeyVaultRequests
{
    /// <summary>Big enough for an RSA 2048 JWK with its private parts, so the buffer never grows (and leaves no copies).</summary>
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>PUT /keys/{name}: <c>{ key: JsonWebKey, hsm, attributes, tags }</c>.</summary>
    public static KeyVaultBody ImportRsa(RSAParameters key, string keyType, IReadOnlyList<string> keyOps,
        IReadOnlyDictionary<string, string> tags, DateTimeOffset? expires = null) => Write(json =>
    {
        json.WriteStartObject("key");
        json.WriteString("kty", keyType);
        WriteKeyOps(json, keyOps);
        WriteBase64Url(json, "n", key.Modulus);
        WriteBase64Url(json, "e", key.Exponent);
        WriteBase64Url(json, "d", key.D);
        WriteBase64Url(json, "p", key.P);
        WriteBase64Url(json, "q", key.Q);
        WriteBase64Url(json, "dp", key.DP);
        WriteBase64Url(json, "dq", key.DQ);
        WriteBase64Url(json, "qi", key.InverseQ);
        json.WriteEndObject();
        json.WriteBoolean("hsm", keyType == AzureKeyVaultOptions.RsaHsmKeyType);
        WriteAttributes(json, expires);
        WriteTags(json, tags);
    });

    /// <summary>PUT /keys/{name} of a BYOK blob: <c>{ key: { kty: "RSA-HSM", key_ops, key_hsm }, hsm: true, ... }</c>; the
    /// key_hsm is the .byok file itself (Key Vault's BYOK transfer blob), base64url.</summary>
    public static KeyVaultBody ImportByok(byte[] byokFile, IReadOnlyList<string> keyOps, IReadOnlyDictionary<string, string> tags,
        DateTimeOffset? expires = null) => Write(json =>
    {
        json.WriteStartObject("key");
        json.WriteString("kty", AzureKeyVaultOptions.RsaHsmKeyType);
        WriteKeyOps(json, keyOps);
        WriteBase64Url(json, "key_hsm", byokFile);
        json.WriteEndObject();
        json.WriteBoolean("hsm", true);
        WriteAttributes(json, expires);
        WriteTags(json, tags);
    });

    /// <summary>POST /keys/{name}/create: <c>{ kty, key_size, key_ops, attributes, tags }</c>.</summary>
    public static KeyVaultBody Create(string keyType, int bits, IReadOnlyList<string> keyOps, IReadOnlyDictionary<string, string> tags) =>
        Write(json =>
        {
            json.WriteString("kty", keyType);
            json.WriteNumber("key_size", bits);
            WriteKeyOps(json, keyOps);
            WriteAttributes(json, null);
            WriteTags(json, tags);
        });

    /// <summary>POST /keys/{name}/{version}/wrapkey, /unwrapkey and /sign: <c>{ alg, value }</c>.</summary>
    public static KeyVaultBody Operation(string algorithm, ReadOnlySpan<byte> value)
    {
        var copy = value.ToArray();
        try
        {
            return Write(json =>
            {
                json.WriteString("alg", algorithm);
                WriteBase64Url(json, "value", copy);
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    private static KeyVaultBody Write(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(InitialBufferBytes);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            writeProperties(json);
            json.WriteEndObject();
        }

        return new KeyVaultBody(buffer);
    }

    private static void WriteKeyOps(Utf8JsonWriter json, IReadOnlyList<string> keyOps)
    {
        json.WriteStartArray("key_ops");
        foreach (var op in keyOps)
        {
            json.WriteStringValue(op);
        }

        json.WriteEndArray();
    }

    private static void WriteAttributes(Utf8JsonWriter json, DateTimeOffset? expires)
    {
        json.WriteStartObject("attributes");
        json.WriteBoolean("enabled", true);
        if (expires is { } at)
        {
            json.WriteNumber("exp", at.ToUnixTimeSeconds());
        }

        json.WriteEndObject();
    }

    private static void WriteTags(Utf8JsonWriter json, IReadOnlyDictionary<string, string> tags)
    {
        json.WriteStartObject("tags");
        foreach (var (name, value) in tags)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
    }

    /// <summary>Base64url (no padding) through a buffer that is zeroed at once.</summary>
    private static void WriteBase64Url(Utf8JsonWriter json, string name, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        var encoded = ArrayPool<byte>.Shared.Rent(Base64Url.GetEncodedLength(value.Length));
        try
        {
            var written = Base64Url.EncodeToUtf8(value, encoded);
            json.WriteString(name, encoded.AsSpan(0, written));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encoded);
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }
}

/// <summary>A request body; disposing zeroes it.</summary>
internal sealed class KeyVaultBody(ArrayBufferWriter<byte> buffer) : IDisposable
{
    public ReadOnlyMemory<byte> Json => buffer.WrittenMemory;

    public void Dispose() => buffer.Clear();
}
