namespace KeyPlatform.Vault.Resilience;

/// <summary>How hard <see cref="ResilientKeyVault"/> tries before a vault call fails.</summary>
public sealed class VaultResilienceOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; doubled on each retry, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Limit for one attempt. Generous because creating a region's 4096-bit key-exchange key can take seconds on a
    /// busy two-core machine.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
