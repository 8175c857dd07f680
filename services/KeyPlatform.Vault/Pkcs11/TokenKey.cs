using System.Security.Cryptography;
using System.Text.Json;
using KeyPlatform.Vault.Local;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// What the vault knows of a key object on the token: its id (the object's <c>CKA_LABEL</c>), its owner, version, name and
/// creation time (the object's <c>CKA_ID</c>, see <see cref="Encode"/>) and its public key (the object's
/// <c>CKA_MODULUS</c> and <c>CKA_PUBLIC_EXPONENT</c>, readable on a non-extractable key), from which the thumbprint is
/// computed, never stored. All of it is public information; none of it changes while the object exists.
/// </summary>
internal sealed record TokenKey(string KeyId, VaultKeyOwner Owner, string Version, string Name, DateTimeOffset CreatedAt,
    byte[] PublicKey, string Thumbprint, int KeySizeBits)
{
    /// <summary>The format of the <c>CKA_ID</c> record; a record of another format is not one of ours.</summary>
    private const int Format = 1;

    public VaultKeyInfo ToInfo() => new(KeyId, Version, Thumbprint, CreatedAt, Owner);

    public RSA PublicRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(PublicKey, out _);
        return rsa;
    }

    /// <summary>The <c>CKA_ID</c> of a new key object: UTF-8 JSON of owner, version, name and creation time.</summary>
    public static byte[] Encode(VaultKeyOwner owner, string version, string name, DateTimeOffset createdAt) =>
        JsonSerializer.SerializeToUtf8Bytes(new Record(Format, owner.Purpose.ToDatabase(), owner.TenantId, owner.Region, version,
            name, createdAt));

    /// <summary>The owner recorded in a <c>CKA_ID</c>, or null when the object is not one of this vault's keys.</summary>
    public static (VaultKeyOwner Owner, string Version, string Name, DateTimeOffset CreatedAt)? Decode(byte[]? id)
    {
        if (id is not { Length: > 0 })
        {
            return null;
        }

        Record? record;
        try
        {
            record = JsonSerializer.Deserialize<Record>(id);
        }
        catch (JsonException)
        {
            return null;
        }

        if (record is not { Format: Format } || string.IsNullOrEmpty(record.Region))
        {
            return null;
        }

        var owner = record.Purpose switch
        {
            "tenant" when !string.IsNullOrEmpty(record.TenantId) => VaultKeyOwner.Tenant(record.TenantId, record.Region),
            "platform" => VaultKeyOwner.Platform(record.Region),
            "key-exchange" => VaultKeyOwner.KeyExchange(record.Region),
            _ => null,
        };
        return owner is null ? null : (owner, record.Version, record.Name, record.CreatedAt);
    }

    public static TokenKey From(string keyId, (VaultKeyOwner Owner, string Version, string Name, DateTimeOffset CreatedAt) record,
        byte[] modulus, byte[] exponent)
    {
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = exponent });
        var publicKey = rsa.ExportSubjectPublicKeyInfo();
        return new TokenKey(keyId, record.Owner, record.Version, record.Name, record.CreatedAt, publicKey,
            KeyThumbprint.Of(publicKey), rsa.KeySize);
    }

    public override string ToString() => $"TokenKey {{ {KeyId}, {Owner}, {Thumbprint} }}";

    private sealed record Record(int Format, string Purpose, string? TenantId, string Region, string Version, string Name,
        DateTimeOffset CreatedAt);
}
