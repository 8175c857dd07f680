namespace KeyPlatform.Vault;

/// <summary>
/// Whom a vault key belongs to, recorded when the key is created or imported and checked on every wrap and unwrap:
/// a tenant's key in one region, or a region's platform or key-exchange key (<see cref="TenantId"/> null).
/// </summary>
public sealed record VaultKeyOwner
{
    private VaultKeyOwner(KeyPurpose purpose, string? tenantId, string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        Purpose = purpose;
        TenantId = tenantId;
        Region = region;
    }

    public KeyPurpose Purpose { get; }

    /// <summary>The owning tenant of a <see cref="KeyPurpose.Tenant"/> key; null for the region's own keys.</summary>
    public string? TenantId { get; }

    public string Region { get; }

    public static VaultKeyOwner Tenant(string tenantId, string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return new VaultKeyOwner(KeyPurpose.Tenant, tenantId, region);
    }

    public static VaultKeyOwner Platform(string region) => new(KeyPurpose.Platform, null, region);

    public static VaultKeyOwner KeyExchange(string region) => new(KeyPurpose.KeyExchange, null, region);

    public override string ToString() => Purpose switch
    {
        KeyPurpose.Tenant => $"tenant '{TenantId}' in region '{Region}'",
        KeyPurpose.Platform => $"the platform key of region '{Region}'",
        _ => $"the key-exchange key of region '{Region}'",
    };
}
