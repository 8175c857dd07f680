using System.Security.Cryptography;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Telemetry;
using KeyPlatform.Vault;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;

/// <summary>The role of the platform's storage services: the only callers that get plaintext data keys (D2) and use
/// the environment stores. Platform operators never read key material (SPEC, actors), so they do not have it.</summary>
public static class StorageRoles
{
    public const string PlatformStorageService = PlatformRoles.PlatformStorageService;

    public static Refusal? MustBeStorageService(this Actor actor, string tenantId)
    {
        if (!actor.Roles.Contains(PlatformStorageService))
            return Refusal.Unauthorized("Only a platform storage service (role PlatformStorageService) may use data keys; operators and admins never read key material.");
        return actor.TenantId == "*" || string.Equals(actor.TenantId, tenantId, StringComparison.Ordinal)
            ? null
            : Refusal.Unauthorized($"The caller belongs to tenant '{actor.TenantId}' and may not use data keys of tenant '{tenantId}'.");
    }
}

/// <summary>D2: the audit record of one release of an environment's data key: who, which environment, which key
/// (tenant key id, vault key id and version), when, and whether it came from memory. Written in the same transaction
/// as the use, before the key leaves the service.</summary>
public sealed class DataKeyReleaseRecord
{
    public Guid Id { get; set; }
    public string TenantId { get; set; } = "";
    public string EnvironmentId { get; set; } = "";
    public string Caller { get; set; } = "";
    public string Purpose { get; set; } = "";
    public string DataKeyId { get; set; } = "";
    public EnvironmentProtection Protection { get; set; }
    public string? TenantKeyId { get; set; }
    public string VaultKeyId { get; set; } = "";
    public string VaultKeyVersion { get; set; } = "";
    public string Thumbprint { get; set; } = "";
    public bool FromCache { get; set; }
    public DateTimeOffset ReleasedAt { get; set; }
}

/// <summary>A plaintext data key in use. Disposing it zeroes the bytes.</summary>
public sealed class DataKeyLease(TenantEnvironment environment, byte[] key, bool fromCache, DataKeyReleaseRecord audit) : IDisposable
{
    public TenantEnvironment Environment { get; } = environment;
    public byte[] Key { get; } = key;
    public bool FromCache { get; } = fromCache;
    public DataKeyReleaseRecord Audit { get; } = audit;

    public void Dispose() => CryptographicOperations.ZeroMemory(Key);

    public override string ToString() => $"DataKeyLease {{ {Environment.EnvironmentId}, key not shown }}";
}

/// <summary>The one way to an environment's plaintext data key, for releases and for the record store: the state is
/// read on every call (so a lock committed by any instance is obeyed at once), the key comes from memory or the
/// vault, and the use is recorded in the caller's session.</summary>
public sealed class DataKeyAccess(DataKeyVault vault, DataKeyCache cache, TimeProvider time)
{
    public async Task<(Refusal? Refusal, DataKeyLease? Lease)> AcquireAsync(IDocumentSession session, string tenantId,
        string environmentId, Actor caller, string purpose, CancellationToken cancellationToken)
    {
        var ticket = cache.Ticket();
        var state = await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environmentId), cancellationToken);
        if (EnvironmentDecider.CanUseDataKey(state, tenantId, environmentId) is { } refusal)
        {
            // Offline for any reason (locked, deleted, or Updating towards a fresh data key, V3): no plaintext copy stays here.
            if (state is not null && cache.Contains(environmentId)) cache.Evict(environmentId);
            PlatformTelemetry.Refusals.Add(1, new KeyValuePair<string, object?>("rule", refusal.Rule));
            return (refusal, null);
        }

        var wrapped = state!.DataKey!;
        var key = cache.TryGet(environmentId, wrapped.DataKeyId);
        var fromCache = key is not null;
        if (key is null)
        {
            var facts = await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
            try
            {
                using var unwrapped = await vault.UnwrapAsync(wrapped, tenantId, facts, state.Region, cancellationToken);
                key = unwrapped.PlaintextKey.ToArray();
            }
            catch (VaultKeyNotFoundException)
            {
                return (new Refusal(Rules.D4,
                    $"The key that protects environment '{state.Name}' (thumbprint {wrapped.Thumbprint}) is not in the vault; its data key cannot be unwrapped."), null);
            }
            catch (VaultKeyOwnershipException)
            {
                return (new Refusal(Rules.K1,
                    $"The vault key named for environment '{state.Name}' is not a key of its tenant and region; its data key is not released."), null);
            }
            cache.TryAdd(environmentId, wrapped.DataKeyId, key, ticket);
        }

        var audit = new DataKeyReleaseRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            EnvironmentId = environmentId,
            Caller = caller.Subject,
            Purpose = purpose,
            DataKeyId = wrapped.DataKeyId,
            Protection = wrapped.Protection,
            TenantKeyId = wrapped.TenantKeyId,
            VaultKeyId = wrapped.VaultKeyId,
            VaultKeyVersion = wrapped.VaultKeyVersion,
            Thumbprint = wrapped.Thumbprint,
            FromCache = fromCache,
            ReleasedAt = time.GetUtcNow(),
        };
        session.Insert(audit);
        PlatformTelemetry.DataKeyReleases.Add(1, new KeyValuePair<string, object?>("purpose", purpose),
            new KeyValuePair<string, object?>("cached", fromCache));
        return (null, new DataKeyLease(state, key, fromCache, audit));
    }
}
