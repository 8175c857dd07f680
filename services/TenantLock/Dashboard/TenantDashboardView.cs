using KeyPlatform.TenantLock.TenantLocks.LockProgress;

namespace KeyPlatform.TenantLock.Dashboard;

/// <summary>S4: everything the dashboard shows of one tenant, in one answer: the key inventory (KeyService), the
/// environments' encryption status (EnvironmentEncryption) and the saga's own lock cycles. <see cref="Now"/> is the
/// server's clock (TimeProvider, so it follows a moved clock): the page counts down against it, not against the
/// browser's clock. Each panel stands alone: a service that does not answer degrades its panel only.</summary>
public sealed record TenantDashboardView(
    string TenantId,
    DateTimeOffset Now,
    Panel<IReadOnlyList<KeyRegionView>> Keys,
    Panel<EnvironmentsView> Environments,
    Panel<IReadOnlyList<DashboardLockCycle>> Locks);

/// <summary>One panel's data, or why it is missing: <c>ok</c>, <c>forbidden</c> (the owning service refused the
/// caller), <c>unavailable</c> (it did not answer in time), <c>error</c> (it answered with a failure).</summary>
public sealed record Panel<T>(string Status, string? Message, T? Data) where T : class
{
    public static Panel<T> Ok(T data) => new(PanelStatus.Ok, null, data);
    public static Panel<T> Failed(string status, string message) => new(status, message, null);
}

public static class PanelStatus
{
    public const string Ok = "ok";
    public const string Forbidden = "forbidden";
    public const string Unavailable = "unavailable";
    public const string Error = "error";
}

/// <summary>KeyService's key inventory of one region (K9: next activation allowed at; L2: lock allowed at).</summary>
public sealed record KeyRegionView(string Region, IReadOnlyList<KeyView> Keys, DateTimeOffset? LastActivatedAt,
    DateTimeOffset? NextActivationAllowedAt, DateTimeOffset? LockAllowedAt);

public sealed record KeyView(string KeyId, string Name, string State, string? Source, string? Thumbprint, DateTimeOffset? AddedAt,
    DateTimeOffset? ActivatedAt);

/// <summary>EnvironmentEncryption's environment status (one page of up to 500) and the latest key rewraps (K8).</summary>
public sealed record EnvironmentsView(long Total, IReadOnlyList<EnvironmentView> Items, IReadOnlyList<RewrapView> Rewraps);

public sealed record EnvironmentView(string EnvironmentId, string? Region, string Name, string? Type, string? Protection, string? TenantKeyId,
    string? KeyThumbprint, string State, string? ApplyingTenantKeyId, DateTimeOffset? LockedSince, DateTimeOffset? DeletionDueAt,
    bool RewrapPending, DateTimeOffset? ChangedAt);

public sealed record RewrapView(string RewrapId, string? Region, string? TargetKeyId, int Total, int Done, int Failed, bool Completed,
    DateTimeOffset? StartedAt, DateTimeOffset? LastProgressAt);

/// <summary>A lock cycle's progress (S4) and its time limit (L5: the lock may take up to this moment).</summary>
public sealed record DashboardLockCycle(LockProgressView Progress, DateTimeOffset TimeLimitAt);

/// <summary>The tenants the saga knows (the feature turned on, or locked at least once), for operators.</summary>
public sealed record DashboardTenantsView(DateTimeOffset Now, IReadOnlyList<DashboardTenant> Tenants);

public sealed record DashboardTenant(string TenantId, DateTimeOffset? FeatureEnabledAt);
