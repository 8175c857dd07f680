using System.Globalization;
using KeyPlatform.Vault.Pkcs11;
using KeyPlatform.Vault.Resilience;
using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// Settings of the local vault. Configuration keys: <c>ConnectionStrings:Postgres</c>, <c>Vault:Schema</c>,
/// <c>Vault:MasterKey</c> (base64 of 32 random bytes), <c>Vault:MasterKeyFile</c> (a file holding that base64, or with
/// <c>Vault:MasterKeyWrapping=Pkcs11</c> the master key wrapped on the token of <c>Vault:Pkcs11:*</c>),
/// <c>Vault:PrivateKeyCacheSize</c>, <c>Vault:Resilience:MaxRetryAttempts</c>, <c>Vault:Resilience:BaseDelay</c>,
/// <c>Vault:Resilience:AttemptTimeout</c>.
/// </summary>
public sealed class LocalVaultOptions
{
    public const string SectionName = "Vault";
    public const string ConnectionStringName = "Postgres";
    public const string DefaultSchema = "vault";

    /// <summary>Where a development master key is created when none is configured (never in Production).</summary>
    public static readonly string DefaultDevelopmentMasterKeyFile = Path.Combine(".data", "vault", "master.key");

    public string ConnectionString { get; set; } = "";

    /// <summary>The PostgreSQL schema of the vault's table; its own, never the event store's.</summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>Base64 of the 32-byte master key. Takes precedence over <see cref="MasterKeyFile"/>.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Path of a file holding the base64 master key; relative paths are from the current directory.</summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>Whether <see cref="MasterKeyFile"/> holds the master key plain or wrapped on a PKCS#11 token.</summary>
    public MasterKeyWrapping MasterKeyWrapping { get; set; } = MasterKeyWrapping.None;

    /// <summary>The label of the token's wrapping key a development master key is wrapped with when one is created
    /// (<c>Vault:MasterKeyWrappingKey</c>); a file names the key that wrapped it, so loading never reads this.</summary>
    public string MasterKeyWrappingKey { get; set; } = Pkcs11MasterKeyEnvelope.DefaultKeyLabel;

    /// <summary>The token that unwraps the master key under <see cref="Local.MasterKeyWrapping.Pkcs11"/>: the
    /// <c>Vault:Pkcs11</c> settings (library, token label, PIN).</summary>
    public Pkcs11VaultOptions Pkcs11 { get; set; } = new();

    /// <summary>How many imported private keys an instance keeps for unwrapping (see PrivateKeyCache); 0 = none.</summary>
    public int PrivateKeyCacheSize { get; set; } = 256;

    public VaultResilienceOptions Resilience { get; set; } = new();

    /// <summary>The regions the vault may create platform and key-exchange keys for, exactly as spelled: the host's
    /// <c>Platform:Regions</c> (X3), set by the host. None by default: then no region key is ever created.</summary>
    public IReadOnlyCollection<string> Regions { get; set; } = [];

    /// <summary>Reads the settings from the application's root configuration.</summary>
    public static LocalVaultOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var options = new LocalVaultOptions
        {
            ConnectionString = configuration.GetConnectionString(ConnectionStringName) ?? "",
            Schema = NullIfBlank(section["Schema"]) ?? DefaultSchema,
            MasterKey = NullIfBlank(section["MasterKey"]),
            MasterKeyFile = NullIfBlank(section["MasterKeyFile"]),
            MasterKeyWrapping = MasterKeyWrappings.Parse(section["MasterKeyWrapping"]),
            Pkcs11 = Pkcs11VaultOptions.FromConfiguration(configuration),
            MasterKeyWrappingKey = NullIfBlank(section["MasterKeyWrappingKey"]) ?? Pkcs11MasterKeyEnvelope.DefaultKeyLabel,
        };

        if (int.TryParse(section["PrivateKeyCacheSize"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cacheSize))
        {
            options.PrivateKeyCacheSize = cacheSize;
        }

        var resilience = section.GetSection("Resilience");
        if (int.TryParse(resilience["MaxRetryAttempts"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempts))
        {
            options.Resilience.MaxRetryAttempts = attempts;
        }

        if (TimeSpan.TryParse(resilience["BaseDelay"], CultureInfo.InvariantCulture, out var delay))
        {
            options.Resilience.BaseDelay = delay;
        }

        if (TimeSpan.TryParse(resilience["AttemptTimeout"], CultureInfo.InvariantCulture, out var timeout))
        {
            options.Resilience.AttemptTimeout = timeout;
        }

        return options;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public override string ToString() =>
        $"LocalVaultOptions {{ Schema = {Schema}, Regions = {string.Join(",", Regions)}, MasterKey = {(MasterKey is null ? "not set" : "set")}, MasterKeyFile = {MasterKeyFile ?? "not set"}, MasterKeyWrapping = {MasterKeyWrapping} }}";
}
