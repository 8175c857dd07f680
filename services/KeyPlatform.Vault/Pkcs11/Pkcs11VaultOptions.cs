using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// Settings of the PKCS#11 vault, the <c>Vault:Pkcs11</c> section: <c>Library</c> (path of the vendor's PKCS#11 library),
/// <c>TokenLabel</c>, <c>Pin</c> or <c>PinFile</c> (a file holding the user PIN; <c>Pin</c> wins), <c>WrappingAlgorithm</c>
/// (<see cref="Vault.WrappingAlgorithm.RsaOaep"/> by default: SoftHSM 2.6 does OAEP only with SHA-1; an HSM that does
/// OAEP-SHA256 sets <see cref="Vault.WrappingAlgorithm.RsaOaep256"/>).
/// </summary>
public sealed class Pkcs11VaultOptions
{
    public const string SectionName = "Vault:Pkcs11";

    /// <summary>Where Debian's softhsm2 package puts the library.</summary>
    public const string SoftHsmLibrary = "/usr/lib/softhsm/libsofthsm2.so";

    public string Library { get; set; } = SoftHsmLibrary;

    public string TokenLabel { get; set; } = "";

    /// <summary>The user PIN. Never logged, never in an exception or in <see cref="ToString"/>.</summary>
    public string? Pin { get; set; }

    /// <summary>A file holding the user PIN (trailing whitespace ignored), for a secret mounted as a file.</summary>
    public string? PinFile { get; set; }

    /// <summary>What the vault wraps data keys with; it unwraps whatever a wrapped key records.</summary>
    public string WrappingAlgorithm { get; set; } = Vault.WrappingAlgorithm.RsaOaep;

    /// <summary>The regions the vault may create platform and key-exchange keys for (the host's <c>Platform:Regions</c>).</summary>
    public IReadOnlyCollection<string> Regions { get; set; } = [];

    public static Pkcs11VaultOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var options = new Pkcs11VaultOptions
        {
            TokenLabel = NullIfBlank(section["TokenLabel"]) ?? "",
            Pin = NullIfBlank(section["Pin"]),
            PinFile = NullIfBlank(section["PinFile"]),
        };
        if (NullIfBlank(section["Library"]) is { } library)
        {
            options.Library = library;
        }

        if (NullIfBlank(section["WrappingAlgorithm"]) is { } algorithm)
        {
            options.WrappingAlgorithm = algorithm;
        }

        return options;
    }

    /// <summary>The PIN from <see cref="Pin"/> or <see cref="PinFile"/>; the error names the setting, never the PIN.</summary>
    internal string ReadPin() => SecretSetting.Read(Pin, PinFile, $"{SectionName}:PinFile",
        $"The PKCS#11 vault needs the token's user PIN: set {SectionName}:Pin or {SectionName}:PinFile.", "PKCS#11 PIN file");

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public override string ToString() =>
        $"Pkcs11VaultOptions {{ Library = {Library}, TokenLabel = {TokenLabel}, Pin = {(Pin is null ? "not set" : "set")}, " +
        $"PinFile = {PinFile ?? "not set"}, WrappingAlgorithm = {WrappingAlgorithm}, Regions = {string.Join(",", Regions)} }}";
}
