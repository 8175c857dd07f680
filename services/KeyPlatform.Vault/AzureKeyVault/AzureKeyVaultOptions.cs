using Azure.Core;
using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>How the Azure Key Vault store authenticates (<c>Vault:AzureKeyVault:Credential</c>).</summary>
public enum AzureCredentialKind
{
    /// <summary><c>DefaultAzureCredential</c>: environment, workload identity, managed identity, developer tools.</summary>
    Default,

    /// <summary>An app registration's client secret: <c>TenantId</c>, <c>ClientId</c>, <c>ClientSecret</c> or <c>ClientSecretFile</c>.</summary>
    ClientSecret,

    /// <summary>The host's managed identity; <c>ClientId</c> names a user-assigned one.</summary>
    ManagedIdentity,
}

/// <summary>
/// Settings of the Azure Key Vault store, the <c>Vault:AzureKeyVault</c> section: <c>VaultUri</c> (a Key Vault
/// <c>https://{name}.vault.azure.net/</c> or a Managed HSM <c>https://{name}.managedhsm.azure.net/</c>), <c>ApiVersion</c>,
/// <c>KeyType</c>, <c>PurgeOnDelete</c>, <c>Credential</c> and its settings, <c>MaxRetries</c>, <c>RetryDelay</c>, <c>NetworkTimeout</c>,
/// <c>RequestTimeout</c>, <c>DeletePollInterval</c>,
/// <c>DeletePollTimeout</c>. The client secret is never logged, shown or put in an exception.
/// </summary>
public sealed class AzureKeyVaultOptions
{
    public const string SectionName = "Vault:AzureKeyVault";

    /// <summary>The REST API version sent with every request; 7.5 or later (the adapter was written against 7.5).</summary>
    public const string DefaultApiVersion = "7.5";

    /// <summary>Key Vault key type of software-protected RSA keys (Standard and Premium vaults).</summary>
    public const string RsaKeyType = "RSA";

    /// <summary>Key Vault key type of HSM-protected RSA keys (Premium vaults and Managed HSM); BYOK needs it.</summary>
    public const string RsaHsmKeyType = "RSA-HSM";

    public Uri? VaultUri { get; set; }

    public string ApiVersion { get; set; } = DefaultApiVersion;

    /// <summary>What tenant and platform keys are: <see cref="RsaHsmKeyType"/> (default) or <see cref="RsaKeyType"/>.
    /// Key-exchange keys are always RSA-HSM (Key Vault's BYOK requires it).</summary>
    public string KeyType { get; set; } = RsaHsmKeyType;

    /// <summary>Purge a deleted tenant key at once (default). A vault with purge protection refuses; the key then stays
    /// soft-deleted, recoverable and not destroyed until the vault's retention period ends.</summary>
    public bool PurgeOnDelete { get; set; } = true;

    public AzureCredentialKind Credential { get; set; } = AzureCredentialKind.Default;

    public string? TenantId { get; set; }

    public string? ClientId { get; set; }

    /// <summary>The app registration's secret. Never logged, never in an exception or in <see cref="ToString"/>.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A file holding the client secret (trailing whitespace ignored), for a secret mounted as a file.</summary>
    public string? ClientSecretFile { get; set; }

    /// <summary>Retries of the Azure.Core pipeline (429, 408, 5xx and network faults; Retry-After honoured).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay of the pipeline (exponential, with jitter); a longer Retry-After from the vault wins.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(0.8);

    /// <summary>Limit for one try of a request (Azure.Core's <c>Retry.NetworkTimeout</c>); a try that exceeds it is retried.
    /// Long enough for the vault to create a 4096-bit key-exchange key in an HSM, which can take seconds.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Limit for one request with all the pipeline's tries and retry waits (a longer Retry-After included); past it the
    /// request fails with a <see cref="TimeoutException"/>. Must stay below <c>Vault:Resilience:AttemptTimeout</c>, so the
    /// pipeline has given up before the resilient decorator cuts the call.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(14);

    /// <summary>How often a delete waits for the deleted key to show before purging it.</summary>
    public TimeSpan DeletePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a delete waits, at most, for the deleted key to show before purging it.</summary>
    public TimeSpan DeletePollTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The regions the vault may create platform and key-exchange keys for (the host's <c>Platform:Regions</c>).</summary>
    public IReadOnlyCollection<string> Regions { get; set; } = [];

    /// <summary>Tests and special hosts: the HTTP transport instead of Azure.Core's default.</summary>
    internal Azure.Core.Pipeline.HttpPipelineTransport? Transport { get; set; }

    /// <summary>Tests and special hosts: the credential instead of the one <see cref="Credential"/> chooses.</summary>
    internal TokenCredential? TokenCredential { get; set; }

    /// <summary>Whether <see cref="VaultUri"/> is a Managed HSM (its token scope differs from a vault's).</summary>
    internal bool IsManagedHsm =>
        VaultUri is not null && VaultUri.Host.EndsWith(".managedhsm.azure.net", StringComparison.OrdinalIgnoreCase);

    /// <summary>The token scope asked for first; a 401 challenge from the vault can name another (sovereign clouds).</summary>
    internal string Scope => IsManagedHsm ? "https://managedhsm.azure.net/.default" : "https://vault.azure.net/.default";

    public static AzureKeyVaultOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var options = new AzureKeyVaultOptions
        {
            TenantId = NullIfBlank(section["TenantId"]),
            ClientId = NullIfBlank(section["ClientId"]),
            ClientSecret = NullIfBlank(section["ClientSecret"]),
            ClientSecretFile = NullIfBlank(section["ClientSecretFile"]),
        };
        if (NullIfBlank(section["VaultUri"]) is { } uri)
        {
            options.VaultUri = Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"{SectionName}:VaultUri '{uri}' is not an absolute URI.");
        }

        options.ApiVersion = NullIfBlank(section["ApiVersion"]) ?? options.ApiVersion;
        options.KeyType = NullIfBlank(section["KeyType"]) ?? options.KeyType;
        options.PurgeOnDelete = Parse(section, "PurgeOnDelete", bool.TryParse, options.PurgeOnDelete);
        options.MaxRetries = Parse(section, "MaxRetries", int.TryParse, options.MaxRetries);
        options.RetryDelay = Parse(section, "RetryDelay", TimeSpan.TryParse, options.RetryDelay);
        options.NetworkTimeout = Parse(section, "NetworkTimeout", TimeSpan.TryParse, options.NetworkTimeout);
        options.RequestTimeout = Parse(section, "RequestTimeout", TimeSpan.TryParse, options.RequestTimeout);
        options.DeletePollInterval = Parse(section, "DeletePollInterval", TimeSpan.TryParse, options.DeletePollInterval);
        options.DeletePollTimeout = Parse(section, "DeletePollTimeout", TimeSpan.TryParse, options.DeletePollTimeout);
        if (NullIfBlank(section["Credential"]) is { } credential)
        {
            options.Credential = Enum.TryParse<AzureCredentialKind>(credential, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
                ? kind
                : throw new InvalidOperationException(
                    $"{SectionName}:Credential is '{credential}'; it must be one of: {string.Join(", ", Enum.GetNames<AzureCredentialKind>())}.");
        }

        return options;
    }

    /// <summary>The checks the store makes before its first request; the message names the setting.</summary>
    internal void Validate()
    {
        if (VaultUri is null)
        {
            throw new InvalidOperationException(
                $"The Azure Key Vault store needs the vault's URI: set {SectionName}:VaultUri (https://{{name}}.vault.azure.net/).");
        }

        if (VaultUri.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(VaultUri.Query) || VaultUri.AbsolutePath != "/")
        {
            throw new InvalidOperationException(
                $"{SectionName}:VaultUri '{VaultUri}' must be the vault's https base address, with no path or query.");
        }

        if (!Version.TryParse(ApiVersion, out var version) || version < new Version(7, 5))
        {
            throw new InvalidOperationException($"{SectionName}:ApiVersion '{ApiVersion}' must be 7.5 or later.");
        }

        if (KeyType is not (RsaKeyType or RsaHsmKeyType))
        {
            throw new InvalidOperationException($"{SectionName}:KeyType '{KeyType}' must be {RsaKeyType} or {RsaHsmKeyType}.");
        }

        if (MaxRetries is < 0 or > 10 || RetryDelay < TimeSpan.Zero || DeletePollInterval <= TimeSpan.Zero || DeletePollTimeout < DeletePollInterval)
        {
            throw new InvalidOperationException(
                $"{SectionName}: MaxRetries must be 0 to 10, DeletePollInterval positive and DeletePollTimeout at least the interval.");
        }

        if (NetworkTimeout <= TimeSpan.Zero || RequestTimeout < NetworkTimeout)
        {
            throw new InvalidOperationException(
                $"{SectionName}: NetworkTimeout must be positive and RequestTimeout at least NetworkTimeout.");
        }
    }

    /// <summary>
    /// The pipeline must give up on a request before <paramref name="attemptTimeout"/> (the resilient decorator's) cuts it,
    /// so a request's own retries never run on under a call the decorator already abandoned.
    /// </summary>
    internal void RequireRequestTimeoutBelow(TimeSpan attemptTimeout)
    {
        if (RequestTimeout >= attemptTimeout)
        {
            throw new InvalidOperationException(
                $"{SectionName}:RequestTimeout ({RequestTimeout}) must be below Vault:Resilience:AttemptTimeout ({attemptTimeout}).");
        }
    }

    /// <summary>The client secret from <see cref="ClientSecret"/> or <see cref="ClientSecretFile"/>; errors name the setting only.</summary>
    internal string ReadClientSecret() => SecretSetting.Read(ClientSecret, ClientSecretFile, $"{SectionName}:ClientSecretFile",
        $"{SectionName}:Credential ClientSecret needs {SectionName}:ClientSecret or {SectionName}:ClientSecretFile.", "client secret file");

    private delegate bool TryParser<T>(string? value, out T result);

    private static T Parse<T>(IConfigurationSection section, string key, TryParser<T> parse, T fallback)
    {
        var value = NullIfBlank(section[key]);
        if (value is null)
        {
            return fallback;
        }

        return parse(value, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"{SectionName}:{key} '{value}' is not a valid value.");
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public override string ToString() =>
        $"AzureKeyVaultOptions {{ VaultUri = {VaultUri?.ToString() ?? "not set"}, ApiVersion = {ApiVersion}, KeyType = {KeyType}, " +
        $"PurgeOnDelete = {PurgeOnDelete}, Credential = {Credential}, TenantId = {TenantId ?? "not set"}, ClientId = {ClientId ?? "not set"}, " +
        $"ClientSecret = {(ClientSecret is null ? "not set" : "set")}, ClientSecretFile = {ClientSecretFile ?? "not set"}, " +
        $"Regions = {string.Join(",", Regions)} }}";
}
