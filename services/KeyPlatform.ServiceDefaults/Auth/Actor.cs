using System.Security.Claims;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>Who is acting: from the JWT over HTTP, from message headers over the bus. The same checks apply to
/// both (SPEC: a caller never acts outside its own tenant).</summary>
public sealed record Actor(string Subject, string TenantId, IReadOnlySet<string> Roles, IReadOnlySet<string> Environments)
{
    /// <summary>The identity a service uses for work it does on its own (timers, relayed reactions).</summary>
    public static Actor System(string serviceName) =>
        new($"service:{serviceName}", "*", new HashSet<string> { PlatformRoles.PlatformOperator }, new HashSet<string>());

    public bool IsTenantAdmin => Roles.Overlaps(PlatformRoles.TenantAdmins);
    public bool IsOperator => Roles.Contains(PlatformRoles.PlatformOperator);

    public bool IsEnvironmentAdminOf(string environmentId) =>
        Roles.Overlaps(PlatformRoles.EnvironmentAdmins) && Environments.Contains(environmentId);

    public bool BelongsTo(string tenantId) =>
        string.Equals(TenantId, tenantId, StringComparison.Ordinal) || (IsOperator && TenantId == "*");

    /// <summary>Tenant admins of this tenant may do it.</summary>
    public Refusal? MustBeTenantAdmin(string tenantId) =>
        !BelongsTo(tenantId) ? OtherTenant(tenantId)
        : IsTenantAdmin ? null
        : Refusal.Unauthorized("Only a Power Platform or Dynamics 365 administrator of the tenant may do this.");

    /// <summary>Tenant admins of this tenant, or admins of this environment, may do it.</summary>
    public Refusal? MustAdministerEnvironment(string tenantId, string environmentId) =>
        !BelongsTo(tenantId) ? OtherTenant(tenantId)
        : IsTenantAdmin || IsEnvironmentAdminOf(environmentId) ? null
        : Refusal.Unauthorized($"Only a tenant administrator or an administrator of environment '{environmentId}' may do this.");

    /// <summary>Tenant admins of this tenant, or the platform's own services acting for it (the saga, timers).</summary>
    public Refusal? MustActForTenant(string tenantId) =>
        IsOperator && BelongsTo(tenantId) ? null : MustBeTenantAdmin(tenantId);

    /// <summary>Platform operators only (enablement, registration, replay).</summary>
    public Refusal? MustBeOperator() =>
        IsOperator ? null : Refusal.Unauthorized("Only a platform operator may do this.");

    private Refusal OtherTenant(string tenantId) =>
        Refusal.Unauthorized($"The caller belongs to tenant '{TenantId}' and may not act in tenant '{tenantId}'.");

    public static Actor? FromClaims(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true) return null;
        var subject = principal.FindFirst(PlatformClaims.Subject)?.Value
                      ?? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        var tenant = principal.FindFirst(PlatformClaims.Tenant)?.Value;
        if (subject is null || tenant is null) return null;
        var roles = principal.FindAll(PlatformClaims.Role).Concat(principal.FindAll(ClaimTypes.Role))
            .Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var environments = principal.FindAll(PlatformClaims.Environment).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Actor(subject, tenant, roles, environments);
    }

    public override string ToString() => $"{Subject}@{TenantId} [{string.Join(",", Roles)}]";
}
