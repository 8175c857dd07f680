namespace KeyPlatform.EnvironmentEncryption.Environments;

/// <summary>Configuration section <c>EnvironmentEncryption</c>: durations and sizes of the environment rules and of
/// the data-key machinery. Defaults are SPEC.md's.</summary>
public sealed class EnvironmentRules
{
    public const string Section = "EnvironmentEncryption";

    /// <summary>L7: a locked environment is deleted this long after the lock (shown as "deletion due at", S4).</summary>
    public TimeSpan LockedEnvironmentDeletion { get; set; } = TimeSpan.FromDays(28);

    /// <summary>D2: plaintext data keys kept in memory at most (entries; the least recently used goes first).</summary>
    public int DataKeyCacheSize { get; set; } = 1000;

    /// <summary>D2: how long a plaintext data key stays in memory after it was unwrapped.</summary>
    public TimeSpan DataKeyCacheLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>K8: environments per rewrap message (one transaction each).</summary>
    public int RewrapBatchSize { get; set; } = 50;

    /// <summary>K8: rewrap messages handled at once by one instance.</summary>
    public int RewrapConcurrentBatches { get; set; } = 4;

    /// <summary>K8: vault calls in flight at once within one rewrap message.</summary>
    public int RewrapVaultParallelism { get; set; } = 8;
}
