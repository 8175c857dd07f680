using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.Vault;

namespace KeyPlatform.EnvironmentEncryption.DataKeys;

/// <summary>A key that wraps data keys: the region's platform key, or a tenant key as KeyService announced it, with
/// whom it must belong to in the vault (the environment's tenant and region, or the region's platform key).</summary>
public sealed record WrappingKey(EnvironmentProtection Protection, string? TenantKeyId, string VaultKeyId, string Thumbprint, VaultKeyOwner Owner)
{
    /// <summary>The tenant's active key, for an environment of <paramref name="tenantId"/> in the key's region.</summary>
    public static WrappingKey ForTenant(string tenantId, ActiveTenantKey key) =>
        new(EnvironmentProtection.TenantKey, key.KeyId, key.VaultKeyId, key.Thumbprint, VaultKeyOwner.Tenant(tenantId, key.Region));

    public VaultKeyReference Reference => new(VaultKeyId, Owner, Thumbprint);
}

/// <summary>The data keys' side of the vault port (D1): generate an AES-256 data key under the platform key, unwrap
/// one, rewrap one. A tenant-key-wrapped data key is unwrapped with the vault key that now holds its thumbprint
/// (<see cref="VaultKeyIdFor"/>), so a key deleted by a lock and re-imported to unlock still opens it. Every wrap and
/// unwrap names the owner the key must have and the thumbprint the data key records; the vault refuses any other key
/// (<see cref="VaultKeyOwnershipException"/>), so a forged or mistaken activation cannot move a data key under
/// another tenant's key.</summary>
public sealed class DataKeyVault(IKeyVault vault)
{
    public const int DataKeyBytes = 32;

    private readonly ConcurrentDictionary<string, WrappingKey> platformKeys = new(StringComparer.Ordinal);

    /// <summary>What the vault wraps with now (K8 moves tenant-wrapped data keys recorded with another algorithm to it).</summary>
    public string PreferredAlgorithm => vault.PreferredWrappingAlgorithm;

    /// <summary>E1: the region's platform key (created on first use by the vault; it never changes).</summary>
    public async Task<WrappingKey> PlatformKeyAsync(string region, CancellationToken cancellationToken)
    {
        if (platformKeys.TryGetValue(region, out var known)) return known;
        var info = await vault.GetOrCreatePlatformKeyAsync(region, cancellationToken);
        return platformKeys.GetOrAdd(region,
            new WrappingKey(EnvironmentProtection.PlatformKey, null, info.KeyId, info.Thumbprint, VaultKeyOwner.Platform(region)));
    }

    /// <summary>D1: a new AES-256 data key, wrapped by the platform key of the region; the plaintext is zeroed.</summary>
    public async Task<WrappedDataKey> GenerateAsync(string region, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var fresh = await GenerateAsync(await PlatformKeyAsync(region, cancellationToken), now, cancellationToken);
        return fresh.Wrapped;
    }

    /// <summary>D1, V3: a new AES-256 data key, wrapped only by <paramref name="target"/>, with its plaintext for the caller to
    /// encrypt with (zeroed when the result is disposed; also when the wrap fails).</summary>
    public async Task<FreshDataKey> GenerateAsync(WrappingKey target, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var plaintext = GC.AllocateArray<byte>(DataKeyBytes, pinned: true);
        try
        {
            RandomNumberGenerator.Fill(plaintext);
            return new FreshDataKey(await WrapAsync(plaintext, Guid.CreateVersion7().ToString("N"), target, now, cancellationToken), plaintext);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw;
        }
    }

    /// <summary>The plaintext data key of an environment of <paramref name="tenantId"/> in <paramref name="region"/>.
    /// Dispose it as soon as possible: its bytes are zeroed.</summary>
    public Task<UnwrappedKey> UnwrapAsync(WrappedDataKey key, string tenantId, TenantFacts? facts, string region,
        CancellationToken cancellationToken) =>
        vault.UnwrapAsync(ReferenceFor(key, tenantId, facts, region), key.Ciphertext, WrappingAlgorithm.OrDefault(key.Algorithm),
            cancellationToken);

    public async Task<WrappedDataKey> WrapAsync(byte[] plaintext, string dataKeyId, WrappingKey target, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var wrapped = await vault.WrapAsync(target.Reference, plaintext, cancellationToken);
        return new WrappedDataKey(dataKeyId, target.Protection, target.TenantKeyId, target.Thumbprint, wrapped.KeyId, wrapped.Version,
            wrapped.Ciphertext, now, wrapped.Algorithm);
    }

    /// <summary>K8, U2: the same data key, unwrapped with the algorithm it records and wrapped by <paramref name="target"/> (another
    /// key of the same tenant, or the same one) with <see cref="PreferredAlgorithm"/>; V3: never from a tenant key to the platform
    /// key or back. The data is not touched (D3).</summary>
    public async Task<WrappedDataKey> RewrapAsync(WrappedDataKey key, WrappingKey target, string tenantId, TenantFacts? facts,
        string region, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var plaintext = await UnwrapAsync(key, tenantId, facts, region, cancellationToken);
        return await WrapAsync(plaintext.PlaintextKey, key.DataKeyId, target, now, cancellationToken);
    }

    /// <summary>Which vault key opens a wrapped data key now: the platform key as recorded; a tenant key by its
    /// thumbprint, through the latest activation KeyService announced for it (a re-import gets a new vault id).</summary>
    public static string VaultKeyIdFor(WrappedDataKey key, TenantFacts? facts, string region) =>
        key.Protection == EnvironmentProtection.TenantKey
            ? facts?.VaultKeyIdFor(region, key.Thumbprint) ?? key.VaultKeyId
            : key.VaultKeyId;

    /// <summary>The key that must open a wrapped data key of an environment of <paramref name="tenantId"/> in
    /// <paramref name="region"/>: the thumbprint it was wrapped under, owned by that tenant and region (or the region's
    /// platform key).</summary>
    public static VaultKeyReference ReferenceFor(WrappedDataKey key, string tenantId, TenantFacts? facts, string region) =>
        new(VaultKeyIdFor(key, facts, region),
            key.Protection == EnvironmentProtection.TenantKey ? VaultKeyOwner.Tenant(tenantId, region) : VaultKeyOwner.Platform(region),
            key.Thumbprint);
}
