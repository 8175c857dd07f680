using System.Security.Cryptography;
using System.Text;
using KeyPlatform.Vault.Gateway;

namespace KeyPlatform.KeyService.VaultGateway;

/// <summary>
/// The gateway's clients and the SHA-256 of each one's secret: <c>VaultGateway:Clients:{client}:SecretSha256</c> (hex) or
/// <c>VaultGateway:Clients:{client}:SecretFile</c> (a file holding the secret, hashed as it is read). Only the clients of
/// <see cref="VaultGatewayClients"/> can be configured; one that is not configured is refused. Secrets are compared in fixed
/// time, and never logged or put in a message.
/// </summary>
public sealed class VaultGatewayCredentials
{
    public const string Section = "VaultGateway:Clients";

    private static readonly byte[] NoClient = SHA256.HashData("no client has this secret"u8);

    private readonly Dictionary<string, byte[]> _secretHashes;

    private VaultGatewayCredentials(Dictionary<string, byte[]> secretHashes) => _secretHashes = secretHashes;

    public IReadOnlyCollection<string> Clients => _secretHashes.Keys;

    public static VaultGatewayCredentials FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var hashes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var client in configuration.GetSection(Section).GetChildren())
        {
            // Configuration keys are case-insensitive; the name a client presents is the canonical one.
            var name = VaultGatewayClients.All.FirstOrDefault(known => string.Equals(known, client.Key, StringComparison.OrdinalIgnoreCase))
                       ?? throw new InvalidOperationException(
                           $"{Section}:{client.Key} is not a client of the vault gateway ({string.Join(", ", VaultGatewayClients.All)}).");
            hashes[name] = SecretHash(client, $"{Section}:{client.Key}");
        }

        return new VaultGatewayCredentials(hashes);
    }

    /// <summary>Whether <paramref name="secret"/> is the secret of <paramref name="client"/>, in time that does not depend on
    /// where the secrets differ (nor, much, on whether the client is configured).</summary>
    public bool Verify(string client, ReadOnlySpan<char> secret)
    {
        var expected = _secretHashes.GetValueOrDefault(client) ?? NoClient;
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(secret.ToArray());
        try
        {
            SHA256.HashData(bytes, presented);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }

        return CryptographicOperations.FixedTimeEquals(presented, expected) && !ReferenceEquals(expected, NoClient);
    }

    private static byte[] SecretHash(IConfigurationSection client, string setting)
    {
        var hex = client["SecretSha256"];
        if (!string.IsNullOrWhiteSpace(hex))
        {
            try
            {
                var hash = Convert.FromHexString(hex.Trim());
                if (hash.Length == SHA256.HashSizeInBytes) return hash;
            }
            catch (FormatException)
            {
            }

            throw new InvalidOperationException($"{setting}:SecretSha256 is not the hex SHA-256 of a secret (64 hex digits).");
        }

        var file = client["SecretFile"];
        if (string.IsNullOrWhiteSpace(file))
            throw new InvalidOperationException($"{setting} needs SecretSha256 or SecretFile.");
        if (!File.Exists(file)) throw new InvalidOperationException($"The vault gateway secret file '{file}' ({setting}:SecretFile) does not exist.");
        var secret = File.ReadAllText(file).TrimEnd();
        return secret.Length > 0
            ? SHA256.HashData(Encoding.UTF8.GetBytes(secret))
            : throw new InvalidOperationException($"The vault gateway secret file '{file}' ({setting}:SecretFile) is empty.");
    }
}
