using System.Buffers.Text;
using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.Vault.Gateway;

// The gateway's requests and answers. Wrap and unwrap follow Azure Key Vault's own wrapKey / unwrapKey (base64url
// `value`, `alg`), with the key id and the reference the caller expects (owner, thumbprint) in the body, since Key Vault
// ids are URLs. Binary values are base64url without padding, as in Key Vault and JOSE.

/// <summary>A <see cref="VaultKeyOwner"/> on the wire: <c>purpose</c> is the <see cref="KeyPurpose"/> name.</summary>
public sealed record VaultGatewayOwner(
    [property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<KeyPurpose>))]
    KeyPurpose Purpose,
    string? Tenant,
    string Region)
{
    public static VaultGatewayOwner From(VaultKeyOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new(owner.Purpose, owner.TenantId, owner.Region);
    }

    /// <summary>A key reference read from a request whose members may be missing: each missing one is an
    /// <see cref="ArgumentException"/> naming it (a 400 at the gateway), never a <see cref="NullReferenceException"/>.</summary>
    public static VaultKeyReference Reference(string? kid, VaultGatewayOwner? owner, string? thumbprint) => new(
        string.IsNullOrWhiteSpace(kid) ? throw new ArgumentException("'kid' is required.", "kid") : kid,
        (owner ?? throw new ArgumentException("The request names no owner.", "owner")).ToOwner(),
        string.IsNullOrWhiteSpace(thumbprint) ? throw new ArgumentException("'thumbprint' is required.", "thumbprint") : thumbprint);

    /// <summary>The owner; a malformed one (no region, a tenant key without tenant) is an <see cref="ArgumentException"/>.</summary>
    public VaultKeyOwner ToOwner() => Purpose switch
    {
        KeyPurpose.Tenant => VaultKeyOwner.Tenant(Tenant!, Region),
        KeyPurpose.Platform => VaultKeyOwner.Platform(Region),
        _ => VaultKeyOwner.KeyExchange(Region),
    };
}

public sealed record VaultGatewayKeyInfo(string Kid, string Version, string Thumbprint, DateTimeOffset Created, VaultGatewayOwner Owner)
{
    public static VaultGatewayKeyInfo From(VaultKeyInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new(info.KeyId, info.Version, info.Thumbprint, info.CreatedAt, VaultGatewayOwner.From(info.Owner));
    }

    public VaultKeyInfo ToInfo() => new(Kid, Version, Thumbprint, Created, Owner.ToOwner());
}

public sealed record VaultGatewayInfo(string Store, string Alg);

public sealed record VaultGatewayPlatformKeyRequest(string Region);

/// <summary>A wrapKey or unwrapKey request: the key the caller expects (id, owner, thumbprint), <c>alg</c> (unwrap: what the
/// wrapped key records; wrap: ignored, the store wraps with its own) and the <c>value</c>.</summary>
public sealed record VaultGatewayKeyOperation(string Kid, VaultGatewayOwner Owner, string Thumbprint, string? Alg, string Value)
{
    /// <summary>The key the caller expects; a request without kid, owner or thumbprint is an <see cref="ArgumentException"/>.</summary>
    public VaultKeyReference Reference => VaultGatewayOwner.Reference(Kid, Owner, Thumbprint);

    public static VaultGatewayKeyOperation For(VaultKeyReference key, string? algorithm, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.KeyId, VaultGatewayOwner.From(key.Owner), key.Thumbprint, algorithm, Base64Url.EncodeToString(value));
    }
}

/// <summary>What wrapKey and unwrapKey answer: the key and version that did it, the algorithm, the <c>value</c>.</summary>
public sealed record VaultGatewayKeyOperationResult(string Kid, string Version, string Alg, string Value);

/// <summary>An RSA private key as a JSON Web Key (RFC 7518 6.3), what Key Vault's import takes. Never logged.</summary>
public sealed record VaultGatewayJsonWebKey(string Kty, string N, string E, string D, string P, string Q, string DP, string DQ, string QI)
{
    public static VaultGatewayJsonWebKey From(RSAParameters key) => new("RSA",
        Base64Url.EncodeToString(key.Modulus), Base64Url.EncodeToString(key.Exponent), Base64Url.EncodeToString(key.D),
        Base64Url.EncodeToString(key.P), Base64Url.EncodeToString(key.Q), Base64Url.EncodeToString(key.DP),
        Base64Url.EncodeToString(key.DQ), Base64Url.EncodeToString(key.InverseQ));

    /// <summary>The key; one that is not RSA or does not load is an <see cref="ArgumentException"/>.</summary>
    public RSA ToRsa()
    {
        if (Kty != "RSA") throw new ArgumentException("Only RSA keys are imported.", nameof(Kty));
        var parameters = new RSAParameters
        {
            Modulus = Decode(N), Exponent = Decode(E), D = Decode(D), P = Decode(P), Q = Decode(Q), DP = Decode(DP), DQ = Decode(DQ),
            InverseQ = Decode(QI),
        };
        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(parameters);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new ArgumentException("The key's parameters do not make an RSA private key.");
        }
        finally
        {
            PrivateKeyParameters.Clear(parameters);
        }
    }

    public override string ToString() => "VaultGatewayJsonWebKey { RSA, private parts not shown }";

    private static byte[] Decode(string? value) => VaultGatewayEncoding.Decode(value, "key");
}

public sealed record VaultGatewayImportRequest(string Name, VaultGatewayOwner Owner, VaultGatewayJsonWebKey Key)
{
    public override string ToString() => $"VaultGatewayImportRequest {{ {Name}, {Owner} }}";
}

public sealed record VaultGatewayImportByokRequest(string Name, VaultGatewayOwner Owner, string Byok, string Thumbprint);

public sealed record VaultGatewaySignByokChallengeRequest(string Byok, string Region, string Purpose, string Nonce);

public sealed record VaultGatewayPossessionSignature(string PublicKey, string Signature)
{
    public static VaultGatewayPossessionSignature From(PossessionSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return new(Base64Url.EncodeToString(signature.SubjectPublicKeyInfo), Base64Url.EncodeToString(signature.Signature));
    }

    public PossessionSignature ToSignature() =>
        new(VaultGatewayEncoding.Decode(PublicKey, "publicKey"), VaultGatewayEncoding.Decode(Signature, "signature"));
}

public sealed record VaultGatewayDeleteRequest(string Kid);

public sealed record VaultGatewayDeleted(bool Deleted);

/// <summary>base64url without padding, the one binary encoding of the gateway.</summary>
public static class VaultGatewayEncoding
{
    /// <summary>A wrapKey request or an unwrapKey answer as UTF-8 JSON bytes, written without a .NET string of the key, so the
    /// caller can zero them once sent: <c>{"kid", "version"?, "owner"?, "thumbprint"?, "alg"?, "value"}</c>.</summary>
    public static byte[] KeyOperationJson(string kid, string? version, VaultGatewayOwner? owner, string? thumbprint, string? alg,
        ReadOnlySpan<byte> value)
    {
        var encoded = new byte[Base64Url.GetEncodedLength(value.Length)];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(encoded.Length + 512);
        try
        {
            Base64Url.EncodeToUtf8(value, encoded);
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("kid", kid);
                if (version is not null) writer.WriteString("version", version);
                if (owner is not null)
                {
                    writer.WriteStartObject("owner");
                    writer.WriteString("purpose", owner.Purpose.ToString());
                    if (owner.Tenant is not null) writer.WriteString("tenant", owner.Tenant);
                    writer.WriteString("region", owner.Region);
                    writer.WriteEndObject();
                }
                if (thumbprint is not null) writer.WriteString("thumbprint", thumbprint);
                if (alg is not null) writer.WriteString("alg", alg);
                writer.WriteString("value", encoded);
                writer.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encoded);
            buffer.Clear(); // zeroes what was written
        }
    }

    /// <summary>The top-level <c>value</c> of a wrapKey request or an unwrapKey answer, decoded from the JSON bytes into a pinned
    /// array without a .NET string in between (the caller zeroes it); no such base64url value is an <see cref="ArgumentException"/>.</summary>
    public static byte[] DecodeValue(ReadOnlySpan<byte> json)
    {
        var reader = new System.Text.Json.Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != System.Text.Json.JsonTokenType.PropertyName || reader.CurrentDepth != 1 || !reader.ValueTextEquals("value"u8))
                continue;
            reader.Read();
            if (reader.TokenType != System.Text.Json.JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence) break;
            var encoded = reader.ValueSpan;
            if (!Base64Url.IsValid(encoded, out var length) || length == 0) break;
            var decoded = GC.AllocateArray<byte>(length, pinned: true);
            Base64Url.DecodeFromUtf8(encoded, decoded);
            return decoded;
        }

        throw new ArgumentException("'value' is not base64url.", "value");
    }

    /// <summary>The bytes of a base64url value; a missing or malformed one is an <see cref="ArgumentException"/> naming the field.</summary>
    public static byte[] Decode(string? value, string field)
    {
        if (string.IsNullOrEmpty(value) || !Base64Url.IsValid(value))
            throw new ArgumentException($"'{field}' is not base64url.", field);
        return Base64Url.DecodeFromChars(value);
    }
}
