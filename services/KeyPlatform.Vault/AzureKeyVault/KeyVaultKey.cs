using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using KeyPlatform.Vault.Local;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// What the adapter reads from a Key Vault KeyBundle: the kid, the public key (n, e), the owner and thumbprint it recorded
/// in the key's tags, and the vault's recovery level. Tags are Key Vault's place for application metadata: owner
/// (<c>kp-purpose</c> spelled as <see cref="KeyPurposeNames"/>, <c>kp-tenant</c>, <c>kp-region</c>), <c>kp-thumbprint</c>, <c>kp-name</c> (the admin's label) and
/// <c>kp-format</c>. A key without our tags is not one of ours.
/// </summary>
internal sealed record KeyVaultKey(
    KeyVaultKeyId Id, string Kid, byte[] SubjectPublicKeyInfo, string Thumbprint, VaultKeyOwner? Owner, string? RecordedThumbprint,
    DateTimeOffset CreatedAt, string? RecoveryLevel, int KeySizeBits)
{
    public const string FormatTag = "kp-format";
    public const string PurposeTag = "kp-purpose";
    public const string TenantTag = "kp-tenant";
    public const string RegionTag = "kp-region";
    public const string ThumbprintTag = "kp-thumbprint";
    public const string NameTag = "kp-name";
    public const string Format = "1";

    /// <summary>The tags a key of <paramref name="owner"/> carries (values at most 256 characters, Key Vault's limit).</summary>
    public static Dictionary<string, string> Tags(VaultKeyOwner owner, string name, string? thumbprint)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatTag] = Format,
            [PurposeTag] = owner.Purpose.ToDatabase(),
            [RegionTag] = owner.Region,
            [NameTag] = name,
        };
        if (owner.TenantId is { } tenant)
        {
            tags[TenantTag] = tenant;
        }

        if (thumbprint is not null)
        {
            tags[ThumbprintTag] = thumbprint;
        }

        return tags;
    }

    /// <summary>A KeyBundle (or a deleted one): <c>{ key: { kid, kty, n, e, ... }, attributes: {...}, tags: {...} }</c>.</summary>
    public static KeyVaultKey FromBundle(Uri vault, JsonElement bundle)
    {
        var key = bundle.GetProperty("key");
        var kid = key.GetProperty("kid").GetString() ?? "";
        var id = KeyVaultKeyId.Parse(vault, kid) ?? throw new InvalidOperationException($"Key Vault returned a key id '{kid}' of another shape.");
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = Base64Url.DecodeFromChars(key.GetProperty("n").GetString()),
            Exponent = Base64Url.DecodeFromChars(key.GetProperty("e").GetString()),
        });
        var spki = rsa.ExportSubjectPublicKeyInfo();
        var attributes = bundle.TryGetProperty("attributes", out var found) ? found : default;
        var created = attributes.ValueKind == JsonValueKind.Object && attributes.TryGetProperty("created", out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds.GetInt64())
            : DateTimeOffset.UnixEpoch;
        var recoveryLevel = attributes.ValueKind == JsonValueKind.Object && attributes.TryGetProperty("recoveryLevel", out var level)
            ? level.GetString()
            : null;
        var tags = ReadTags(bundle);
        return new KeyVaultKey(id, id.ToKid(vault), spki, KeyThumbprint.Of(spki), OwnerOf(tags), tags.GetValueOrDefault(ThumbprintTag),
            created, recoveryLevel, rsa.KeySize);
    }

    public static Dictionary<string, string> ReadTags(JsonElement item)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (item.TryGetProperty("tags", out var element) && element.ValueKind == JsonValueKind.Object)
        {
            foreach (var tag in element.EnumerateObject())
            {
                if (tag.Value.ValueKind == JsonValueKind.String)
                {
                    tags[tag.Name] = tag.Value.GetString()!;
                }
            }
        }

        return tags;
    }

    /// <summary>The owner recorded in the tags; null when the key is not one of ours (no or unknown format).</summary>
    public static VaultKeyOwner? OwnerOf(IReadOnlyDictionary<string, string> tags)
    {
        if (tags.GetValueOrDefault(FormatTag) != Format || tags.GetValueOrDefault(RegionTag) is not { Length: > 0 } region)
        {
            return null;
        }

        return tags.GetValueOrDefault(PurposeTag) switch
        {
            "tenant" when tags.GetValueOrDefault(TenantTag) is { Length: > 0 } tenant => VaultKeyOwner.Tenant(tenant, region),
            "platform" => VaultKeyOwner.Platform(region),
            "key-exchange" => VaultKeyOwner.KeyExchange(region),
            _ => null,
        };
    }

    /// <summary>Key Vault's deletion recovery level says whether a deleted key may be purged (the "+Purgeable" levels) or
    /// whether purge protection keeps it until the retention period ends.</summary>
    public static bool IsPurgeable(string? recoveryLevel) =>
        recoveryLevel is not null && recoveryLevel.Contains("Purgeable", StringComparison.Ordinal);

    /// <summary>"Purgeable" alone: the vault has no soft-delete; a deleted key is gone at once.</summary>
    public static bool IsSoftDeleteOff(string? recoveryLevel) => recoveryLevel == "Purgeable";

    public VaultKeyInfo ToInfo() => new(Kid, Id.Version, Thumbprint, CreatedAt,
        Owner ?? throw new InvalidOperationException($"Key '{Kid}' carries no owner."));

    public override string ToString() => $"KeyVaultKey {{ Kid = {Kid}, Owner = {Owner}, Thumbprint = {Thumbprint} }}";
}
