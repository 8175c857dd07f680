using KeyPlatform.Contracts.Environments;

namespace KeyPlatform.EnvironmentEncryption.Environments;

// The events of an Environment stream (environment:{environmentId}), a closed set. Times are the decider's "now"
// (TimeProvider), never the database clock. No event ever carries a plaintext data key: only its wrapped form.

/// <summary>A data key as it is stored (D1): the AES-256 key wrapped by the key that protects the environment, with the
/// vault's <see cref="Algorithm"/> (RSA-OAEP-SHA256 locally; null in events written before it was recorded, which read as
/// RSA-OAEP-SHA256, D3; see docs/decisions/0012). <see cref="DataKeyId"/> names the plaintext key (it changes only when the
/// key is replaced: E2 and E3 take a fresh one, V3, and so does E5); <see cref="Thumbprint"/> names the wrapping key across vault re-imports (see docs/decisions/0004).</summary>
public sealed record WrappedDataKey(string DataKeyId, EnvironmentProtection Protection, string? TenantKeyId, string Thumbprint,
    string VaultKeyId, string VaultKeyVersion, byte[] Ciphertext, DateTimeOffset WrappedAt, string? Algorithm = null)
{
    public override string ToString() =>
        $"WrappedDataKey {{ {DataKeyId}, {Protection}, {TenantKeyId ?? "platform"}, {Thumbprint}, {VaultKeyId}/{VaultKeyVersion} }}";
}

/// <summary>The states of an environment's encryption (S4).</summary>
public enum EnvironmentState
{
    /// <summary>Online; its data key is released to storage services.</summary>
    Active,

    /// <summary>E2, E3: offline until its records are re-encrypted under a fresh data key wrapped by the key it moves to
    /// (the tenant's active key, or the platform key when it returns; V3).</summary>
    Updating,

    /// <summary>E6: the lock has begun; nothing is released any more.</summary>
    Locking,

    /// <summary>E6: inaccessible to everyone, the platform included.</summary>
    Locked,

    Deleted,
}

/// <summary>Why a data key was rewrapped (<see cref="DataKeyRewrapped"/>) or replaced (<see cref="DataKeyReplaced"/>).</summary>
public enum RewrapReason
{
    /// <summary>E2: applying the tenant key (replaced since V3; rewrapped in streams written before it).</summary>
    TenantKeyApplied,

    /// <summary>K8: a new tenant key became active.</summary>
    KeyActivated,

    /// <summary>E3: back to the platform-managed key (replaced since V3; rewrapped in streams written before it).</summary>
    ReturnedToPlatformKey,

    /// <summary>U2: unlocked with the re-imported key.</summary>
    Unlocked,

    /// <summary>K8: the same tenant key, but the data key was recorded with another algorithm than the vault wraps with now
    /// (data wrapped by another store, or a changed <c>Vault:Pkcs11:WrappingAlgorithm</c>; docs/decisions/0017).</summary>
    AlgorithmChanged,
}

/// <summary>A platform service registered the environment (E1: it starts under the platform key).</summary>
public sealed record EnvironmentRegistered(string EnvironmentId, string TenantId, string Region, string Name, EnvironmentType Type,
    EnvironmentStorage Storage, string Version, DateTimeOffset CreatedAt, DateTimeOffset RegisteredAt);

/// <summary>D1 (and E5): a new AES-256 data key, wrapped by the platform key of the region.</summary>
public sealed record DataKeyGenerated(WrappedDataKey DataKey, DateTimeOffset GeneratedAt);

/// <summary>E2: the environment is <c>Updating</c> until its records are re-encrypted under a fresh data key wrapped by the
/// tenant's active key (V3).</summary>
public sealed record TenantKeyApplicationStarted(string TenantId, string Region, string TenantKeyId, DateTimeOffset StartedAt);

/// <summary>E2: done; the environment is <c>Active</c> under the tenant key.</summary>
public sealed record TenantKeyApplied(string TenantKeyId, DateTimeOffset AppliedAt);

/// <summary>E2: no fresh data key could be wrapped by the tenant key (no active key any more, or the key left the vault),
/// or a record could not be re-encrypted; the environment is <c>Active</c> under the data key and key it had.</summary>
public sealed record TenantKeyApplicationFailed(string Reason, DateTimeOffset FailedAt);

/// <summary>K8, U2: the same data key, wrapped by another tenant key (the data is not re-encrypted, D3).
/// <see cref="RewrapId"/> names the K8 run it belongs to, if any. Streams written before V3 also hold it for E2 and E3.</summary>
public sealed record DataKeyRewrapped(WrappedDataKey DataKey, string FromThumbprint, string? FromTenantKeyId, RewrapReason Reason,
    string? RewrapId, DateTimeOffset RewrappedAt);

/// <summary>V3 (E2, E3): the environment's records were re-encrypted under a fresh data key, wrapped only by the key it moved
/// to, in the same transaction as this event; the data key <see cref="FromDataKeyId"/> is no longer used by the environment
/// (backups taken before keep their own wrapped copy of it, D5).</summary>
public sealed record DataKeyReplaced(WrappedDataKey DataKey, string FromDataKeyId, string FromThumbprint, string? FromTenantKeyId,
    RewrapReason Reason, int RecordsReencrypted, DateTimeOffset ReplacedAt);

/// <summary>K8: the data key could not be rewrapped for the new key; it stays wrapped by the key it had.</summary>
public sealed record DataKeyRewrapFailed(string TargetTenantKeyId, string Reason, string? RewrapId, DateTimeOffset FailedAt);

/// <summary>E3: the environment is <c>Updating</c> until its records are re-encrypted under a fresh data key wrapped by the
/// platform key (V3).</summary>
public sealed record ReturnToPlatformKeyStarted(string TenantId, string Region, DateTimeOffset StartedAt);

/// <summary>E3: the records could not be re-encrypted (the tenant key left the vault, or a record did not open); the
/// environment is <c>Active</c> under the tenant key and data key it had.</summary>
public sealed record ReturnToPlatformKeyFailed(string Reason, DateTimeOffset FailedAt);

/// <summary>E3: the environment is under the platform-managed key again.</summary>
public sealed record ReturnedToPlatformKey(DateTimeOffset ReturnedAt);

/// <summary>E6: the tenant-lock saga began locking the environment; from now on its data key is not released and its
/// cached plaintext data key is dropped.</summary>
public sealed record LockStarted(string TenantId, string Region, string LockCycleId, DateTimeOffset StartedAt);

/// <summary>E6: the environment is locked.</summary>
public sealed record LockCompleted(string TenantId, string Region, string LockCycleId, DateTimeOffset LockedAt);

/// <summary>U2: the environment's admin unlocked it.</summary>
public sealed record Unlocked(string TenantId, string Region, DateTimeOffset UnlockedAt);

/// <summary>The environment is gone (deregistered by the platform, or L7); its records and backups were deleted.</summary>
public sealed record EnvironmentRemoved(string TenantId, string Region, string Reason, string? LockCycleId, DateTimeOffset RemovedAt);

/// <summary>D5: a backup was taken: the encrypted records with the wrapped data key, under the key named here.</summary>
public sealed record BackupTaken(string BackupId, string Label, int RecordCount, string DataKeyId, EnvironmentProtection Protection,
    string Thumbprint, DateTimeOffset TakenAt);

/// <summary>E4: a backup (of this or another environment under the same tenant key) replaced the records.</summary>
public sealed record BackupRestored(string BackupId, string SourceEnvironmentId, int RecordCount, DateTimeOffset RestoredAt);

/// <summary>E4: the records of another environment under the same tenant key replaced the records.</summary>
public sealed record EnvironmentCopiedFrom(string SourceEnvironmentId, int RecordCount, DateTimeOffset CopiedAt);

/// <summary>E5: the records and every backup were deleted; a new data key under the platform key follows.</summary>
public sealed record EnvironmentReset(int RecordsDeleted, int BackupsDeleted, DateTimeOffset ResetAt);

/// <summary>The environment's encryption picture after the events before it in the same decision (key, state), so
/// the relay can publish <see cref="EnvironmentEncryptionChanged"/> with the full picture without reading state.</summary>
public sealed record EncryptionStatusChanged(string TenantId, string Region, string EnvironmentId, string Name,
    EnvironmentProtection Protection, string? TenantKeyId, EnvironmentState State, DateTimeOffset ChangedAt);
