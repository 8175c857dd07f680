using KeyPlatform.Contracts;
using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Vault.Gateway;

/// <summary>
/// <c>Vault:Provider = Gateway</c>: the service reaches keys through KeyService's vault gateway and holds no vault secret.
/// <c>Vault:Gateway:Address</c> (KeyService's base address; HTTPS outside Development and Testing, since unwrapped data keys
/// travel in the answers), <c>Vault:Gateway:Client</c> (the name it authenticates as, <see cref="VaultGatewayClients"/>) and
/// <c>Vault:Gateway:Secret</c> or <c>Vault:Gateway:SecretFile</c> (its own secret; KeyService holds only its SHA-256).
/// </summary>
public sealed class VaultGatewayOptions
{
    public const string Section = "Vault:Gateway";

    private VaultGatewayOptions(Uri address, string client, string secret)
    {
        Address = address;
        Client = client;
        Secret = secret;
    }

    /// <summary>The gateway's base address (KeyService), ending in '/'.</summary>
    public Uri Address { get; }

    public string Client { get; }

    /// <summary>The client's secret. Never logged, never in a message.</summary>
    internal string Secret { get; }

    /// <summary>The <c>Authorization</c> header value the client sends (<see cref="VaultGatewayProtocol.AuthorizationScheme"/>).</summary>
    internal string AuthorizationParameter => $"{Client}:{Secret}";

    /// <summary>Reads and checks the settings: a missing address, client or secret, an address that is not absolute http(s),
    /// or plain http outside Development and Testing stops the start, naming the setting (never the secret).</summary>
    public static VaultGatewayOptions FromConfiguration(IConfiguration configuration, string environmentName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var address = section["Address"];
        if (string.IsNullOrWhiteSpace(address))
            throw new InvalidOperationException($"Vault:Provider is Gateway but {Section}:Address (KeyService's address) is not configured.");
        if (!Uri.TryCreate(address.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new InvalidOperationException($"{Section}:Address '{address}' is not an absolute http or https address.");
        if (uri.Scheme == Uri.UriSchemeHttp && !DevelopmentFallbacks.AllowedIn(environmentName))
            throw new InvalidOperationException(
                $"{Section}:Address '{address}' is plain http: unwrapped data keys and imported keys travel to and from the vault gateway, " +
                $"so it must be https in {environmentName} (plain http is allowed in Development and Testing only).");
        var client = section["Client"]?.Trim();
        if (string.IsNullOrEmpty(client))
            throw new InvalidOperationException($"Vault:Provider is Gateway but {Section}:Client (the name this service authenticates as) is not configured.");
        if (client.Contains(':', StringComparison.Ordinal) || client.Any(char.IsWhiteSpace))
            throw new InvalidOperationException($"{Section}:Client '{client}' cannot contain ':' or spaces.");
        var secret = SecretSetting.Read(section["Secret"], section["SecretFile"], $"{Section}:SecretFile",
            $"Vault:Provider is Gateway but neither {Section}:Secret nor {Section}:SecretFile is configured.", "vault gateway secret file");
        var baseAddress = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        return new VaultGatewayOptions(baseAddress, client, secret);
    }

    public override string ToString() => $"VaultGatewayOptions {{ {Address}, client {Client}, secret not shown }}";
}
