namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// A key's id in this store: Key Vault's own key identifier, <c>{vault}/keys/{name}/{version}</c>. Names are what Key
/// Vault allows (<see cref="IsValidName"/>); an id of another vault or of another shape is no key of this store.
/// </summary>
internal sealed record KeyVaultKeyId(string Name, string Version)
{
    private const int MaxNameLength = 127;

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    public static KeyVaultKeyId? Parse(Uri vault, string keyId)
    {
        if (!Uri.TryCreate(keyId, UriKind.Absolute, out var uri)
            || !string.Equals(uri.GetLeftPart(UriPartial.Authority), vault.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
            || !string.IsNullOrEmpty(uri.Query))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/');
        return segments is ["keys", var name, var version] && IsValidName(name) && version.Length > 0 && version.All(char.IsAsciiLetterOrDigit)
            ? new KeyVaultKeyId(name, version)
            : null;
    }

    public string ToKid(Uri vault) => $"{vault.GetLeftPart(UriPartial.Authority)}/keys/{Name}/{Version}";
}
