using KeyPlatform.Contracts.Keys;

namespace KeyPlatform.KeyService.TenantKeys;

public sealed record TenantKeyEntry(string KeyId, string Name, string Thumbprint, string VaultKeyId, TenantKeySource Source,
    TenantKeyState State, DateTimeOffset AddedAt, DateTimeOffset? ActivatedAt);

/// <summary>The state of stream <c>tenant-key:{tenant}:{region}</c>: every key of the tenant in that region (K1)
/// and the times the waiting periods are computed from. Also kept inline as a document: the key inventory (S4).
/// <see cref="Lock"/> is the ring's lock (L4) until its key is reinstated (U1); <see cref="Unlocking"/> is then that lock
/// while its key installs: a failed install puts the lock back, so K10 and K11 hold again and the saga can reinstate the
/// key once more.</summary>
public sealed record TenantKeyRing(string Id, string TenantId, string Region, IReadOnlyList<TenantKeyEntry> Keys,
    DateTimeOffset? LastActivatedAt, TenantKeyRingLock? Lock = null, TenantKeyRingLock? Unlocking = null)
{
    private const string StreamPrefix = "tenant-key:";

    public static string StreamKey(string tenantId, string region) => $"{StreamPrefix}{tenantId}:{region}";

    /// <summary>The tenant and region a stream key names (regions never contain ':').</summary>
    public static (string TenantId, string Region) ParseStreamKey(string streamKey)
    {
        var split = streamKey.LastIndexOf(':');
        return (streamKey[StreamPrefix.Length..split], streamKey[(split + 1)..]);
    }

    public TenantKeyEntry? Find(string keyId) => Keys.FirstOrDefault(k => k.KeyId == keyId);
    public TenantKeyEntry? Active => Keys.FirstOrDefault(k => k.State == TenantKeyState.Active);
    public TenantKeyEntry? Installing => Keys.FirstOrDefault(k => k.State == TenantKeyState.Installing);

    public static TenantKeyRing Create(KeyAdded added) =>
        new(StreamKey(added.TenantId, added.Region), added.TenantId, added.Region, [EntryFor(added)], null);

    public TenantKeyRing Apply(KeyAdded added) => this with { Keys = [.. Keys, EntryFor(added)] };

    public TenantKeyRing Apply(KeyInstallationStarted started) =>
        With(started.KeyId, k => k with { State = TenantKeyState.Installing });

    public TenantKeyRing Apply(KeyActivated activated) =>
        (activated.PreviousKeyId is { } previous ? With(previous, k => k with { State = TenantKeyState.Available }) : this)
        .With(activated.KeyId, k => k with { State = TenantKeyState.Active, ActivatedAt = activated.ActivatedAt })
        with { LastActivatedAt = activated.ActivatedAt, Unlocking = null };

    public TenantKeyRing Apply(KeyInstallationFailed failed) =>
        With(failed.KeyId, k => k with { State = TenantKeyState.Failed })
        with
        {
            Lock = Unlocking?.LockingKeyId == failed.KeyId ? Unlocking : Lock,
            Unlocking = Unlocking?.LockingKeyId == failed.KeyId ? null : Unlocking,
        };

    public TenantKeyRing Apply(KeyRingLockStarted started) =>
        this with { Lock = new TenantKeyRingLock(started.LockCycleId, started.LockingKeyId, started.KeyIds, started.StartedAt, null) };

    public TenantKeyRing Apply(KeyRingLocked locked) =>
        this with
        {
            Keys = Keys.Select(k => k.KeyId == locked.LockedKeyId ? k with { State = TenantKeyState.Locked }
                : locked.DeletedKeyIds.Contains(k.KeyId) ? k with { State = TenantKeyState.Deleted }
                : k).ToList(),
            Lock = Lock! with { LockedAt = locked.LockedAt },
        };

    public TenantKeyRing Apply(KeyRingLockEnded ended) =>
        With(ended.LockingKeyId, k => k with { State = TenantKeyState.Deleted }) with { Lock = null };

    public TenantKeyRing Apply(KeyReinstated reinstated) =>
        With(reinstated.KeyId, k => k with { State = TenantKeyState.Available, VaultKeyId = reinstated.VaultKeyId })
        with { Lock = null, Unlocking = Lock };

    private TenantKeyRing With(string keyId, Func<TenantKeyEntry, TenantKeyEntry> change) =>
        this with { Keys = Keys.Select(k => k.KeyId == keyId ? change(k) : k).ToList() };

    private static TenantKeyEntry EntryFor(KeyAdded added) =>
        new(added.KeyId, added.Name, added.Thumbprint, added.VaultKeyId, added.Source, TenantKeyState.Available, added.AddedAt, null);
}

/// <summary>A lock of the ring (L4): started, and done once <see cref="LockedAt"/> is set; cleared by U1.</summary>
public sealed record TenantKeyRingLock(string LockCycleId, string LockingKeyId, IReadOnlyList<string> KeyIds,
    DateTimeOffset StartedAt, DateTimeOffset? LockedAt);

/// <summary>What the decider needs to know from outside the stream: whether the feature is on for the tenant (T1)
/// and how many of its environments are locked (K10, K11, U3), as this service learned them.</summary>
public sealed record TenantKeyFacts(bool TenantEnabled, int LockedEnvironments);

/// <summary>The waiting periods of the key lifecycle (configuration section <c>Rules</c>).</summary>
public sealed class TenantKeyRules
{
    /// <summary>K9.</summary>
    public TimeSpan ActivationCooldown { get; set; } = TimeSpan.FromHours(24);

    /// <summary>L2: no lock this long after the active key changed.</summary>
    public TimeSpan NoLockAfterKeyChange { get; set; } = TimeSpan.FromHours(72);
}
