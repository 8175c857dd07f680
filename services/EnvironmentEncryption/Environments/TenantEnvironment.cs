using KeyPlatform.Contracts.Environments;

namespace KeyPlatform.EnvironmentEncryption.Environments;

/// <summary>The state of stream <c>environment:{environmentId}</c>, rebuilt from its events and kept inline as a
/// document (the environment status of S4 is read from it).</summary>
public sealed record TenantEnvironment(
    string Id,
    string EnvironmentId,
    string TenantId,
    string Region,
    string Name,
    EnvironmentType Type,
    EnvironmentStorage Storage,
    string Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset RegisteredAt,
    EnvironmentState State,
    WrappedDataKey? DataKey,
    string? ApplyingTenantKeyId,
    DateTimeOffset? LockedSince,
    string? LockCycleId,
    DateTimeOffset ChangedAt,
    string? LastLockCycleId = null,
    bool ReturningToPlatformKey = false)
{
    private const string StreamPrefix = "environment:";

    public static string StreamKey(string environmentId) => StreamPrefix + environmentId;

    public static string EnvironmentIdOf(string streamKey) => streamKey[StreamPrefix.Length..];

    public static bool IsEnvironmentStream(string? streamKey) => streamKey?.StartsWith(StreamPrefix, StringComparison.Ordinal) == true;

    /// <summary>Which key wraps the data key now (E1: the platform key until a tenant key is applied).</summary>
    public EnvironmentProtection Protection => DataKey?.Protection ?? EnvironmentProtection.PlatformKey;

    public string? TenantKeyId => Protection == EnvironmentProtection.TenantKey ? DataKey?.TenantKeyId : null;

    public bool IsLockedOrLocking => State is EnvironmentState.Locked or EnvironmentState.Locking;

    public static TenantEnvironment Create(EnvironmentRegistered registered) => new(StreamKey(registered.EnvironmentId),
        registered.EnvironmentId, registered.TenantId, registered.Region, registered.Name, registered.Type, registered.Storage,
        registered.Version, registered.CreatedAt, registered.RegisteredAt, EnvironmentState.Active, null, null, null, null,
        registered.RegisteredAt);

    public TenantEnvironment Apply(DataKeyGenerated generated) => this with { DataKey = generated.DataKey, ChangedAt = generated.GeneratedAt };

    public TenantEnvironment Apply(TenantKeyApplicationStarted started) =>
        this with { State = EnvironmentState.Updating, ApplyingTenantKeyId = started.TenantKeyId, ChangedAt = started.StartedAt };

    public TenantEnvironment Apply(TenantKeyApplied applied) =>
        this with { State = EnvironmentState.Active, ApplyingTenantKeyId = null, ChangedAt = applied.AppliedAt };

    public TenantEnvironment Apply(TenantKeyApplicationFailed failed) =>
        this with { State = EnvironmentState.Active, ApplyingTenantKeyId = null, ChangedAt = failed.FailedAt };

    public TenantEnvironment Apply(DataKeyRewrapped rewrapped) => this with { DataKey = rewrapped.DataKey, ChangedAt = rewrapped.RewrappedAt };

    public TenantEnvironment Apply(DataKeyRewrapFailed failed) => this;

    public TenantEnvironment Apply(DataKeyReplaced replaced) => this with { DataKey = replaced.DataKey, ChangedAt = replaced.ReplacedAt };

    public TenantEnvironment Apply(ReturnToPlatformKeyStarted started) =>
        this with { State = EnvironmentState.Updating, ReturningToPlatformKey = true, ChangedAt = started.StartedAt };

    public TenantEnvironment Apply(ReturnToPlatformKeyFailed failed) =>
        this with { State = EnvironmentState.Active, ReturningToPlatformKey = false, ChangedAt = failed.FailedAt };

    /// <summary>Before V3 this followed a rewrap of an online environment; since, it ends the E3 update.</summary>
    public TenantEnvironment Apply(ReturnedToPlatformKey returned) =>
        this with { State = EnvironmentState.Active, ReturningToPlatformKey = false, ChangedAt = returned.ReturnedAt };

    public TenantEnvironment Apply(LockStarted started) =>
        this with
        {
            State = EnvironmentState.Locking, LockCycleId = started.LockCycleId, LastLockCycleId = started.LockCycleId, ChangedAt = started.StartedAt,
        };

    public TenantEnvironment Apply(LockCompleted locked) =>
        this with { State = EnvironmentState.Locked, LockCycleId = locked.LockCycleId, LockedSince = locked.LockedAt, ChangedAt = locked.LockedAt };

    public TenantEnvironment Apply(Unlocked unlocked) =>
        this with
        {
            State = EnvironmentState.Active, ApplyingTenantKeyId = null, ReturningToPlatformKey = false, LockCycleId = null, LockedSince = null,
            ChangedAt = unlocked.UnlockedAt,
        };

    public TenantEnvironment Apply(EnvironmentRemoved removed) =>
        this with { State = EnvironmentState.Deleted, ApplyingTenantKeyId = null, ReturningToPlatformKey = false, ChangedAt = removed.RemovedAt };

    public TenantEnvironment Apply(BackupTaken taken) => this;

    public TenantEnvironment Apply(BackupRestored restored) => this with { ChangedAt = restored.RestoredAt };

    public TenantEnvironment Apply(EnvironmentCopiedFrom copied) => this with { ChangedAt = copied.CopiedAt };

    public TenantEnvironment Apply(EnvironmentReset reset) => this with { ChangedAt = reset.ResetAt };

    public TenantEnvironment Apply(EncryptionStatusChanged changed) => this;
}
