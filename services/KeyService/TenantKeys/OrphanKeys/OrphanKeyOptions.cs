namespace KeyPlatform.KeyService.TenantKeys.OrphanKeys;

/// <summary>The vault reconciliation (configuration section <c>OrphanKeys</c>); see <see cref="OrphanKeyReconciler"/>.</summary>
public sealed class OrphanKeyOptions
{
    public const string SectionName = "OrphanKeys";

    /// <summary>Off only where another process owns the vault's clean-up.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between rounds (the first runs at start-up), on the service's clock.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How old a store key must be before it can be an orphan: longer than any import may wait for the event that records
    /// it (an upload's append, the saga's re-uploaded key of U1 waiting in the queue for this service to reinstate it).
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(24);

    public void Validate()
    {
        if (Interval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{SectionName}:Interval must be positive; it is {Interval}.");
        }

        if (GracePeriod < TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException(
                $"{SectionName}:GracePeriod must be at least one minute, or keys whose event is being appended would be deleted; it is {GracePeriod}.");
        }
    }
}
