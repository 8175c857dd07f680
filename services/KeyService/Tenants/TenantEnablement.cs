namespace KeyPlatform.KeyService.Tenants;

/// <summary>Stream <c>tenant:{tenantId}</c>: whether the tenant key feature is on for the tenant (T1).</summary>
public sealed record TenantEnablement(string TenantId, int QualifyingLicences, DateTimeOffset EnabledAt)
{
    public static string StreamKey(string tenantId) => $"tenant:{tenantId}";

    public static TenantEnablement Create(TenantEnabled enabled) =>
        new(enabled.TenantId, enabled.QualifyingLicences, enabled.EnabledAt);
}

/// <summary>The events of a tenant stream.</summary>
public sealed record TenantEnabled(string TenantId, int AppPerUserLicences, int EnterpriseLicences,
    int QualifyingLicences, DateTimeOffset EnabledAt);
