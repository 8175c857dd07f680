namespace KeyPlatform.Vault.Local;

/// <summary>
/// X3 inside the vault: a platform or key-exchange key is created only for a region the host configured
/// (<see cref="LocalVaultOptions.Regions"/>, the platform's <c>Platform:Regions</c>), spelled exactly as configured.
/// The edges refuse other names first; this keeps a caller that slipped past them from minting keys.
/// </summary>
internal sealed class VaultRegion(IEnumerable<string> configured)
{
    private readonly HashSet<string> _configured = new(configured, StringComparer.Ordinal);

    public bool IsConfigured(string? region) => region is not null && _configured.Contains(region);

    public string Require(string region) => IsConfigured(region)
        ? region
        : throw new ArgumentException(
            $"'{region}' is not a configured region; the vault keeps region keys only for: {string.Join(", ", _configured.Order(StringComparer.Ordinal))}.",
            nameof(region));
}
