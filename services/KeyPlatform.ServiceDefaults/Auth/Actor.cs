using System.Security.Claims;
using System.Text.RegularExpressions;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>Who is acting: from the JWT over HTTP, from message headers over the bus. The same checks apply to
/// both (SPEC: a caller never acts outside its own tenant).</summary>
public sealed record Actor(string Subject, string TenantId, IReadOnlySet<string> Roles, IReadOnlySet<string> Environments)
{
    /// <summary>One of our services, as the broker proved it (the message's <c>user_id</c>): its only role is
    /// <see cref="PlatformRoles.Service"/> of that sender, which no token can carry (see <see cref="FromClaims"/>), so
    /// no operator or admin can act as the saga. <paramref name="onBehalfOf"/> names who caused the message, for the
    /// audit trail; it grants nothing.</summary>
    public static Actor Service(Sender sender, string? onBehalfOf = null, string? tenantId = null) =>
        new(onBehalfOf is { Length: > 0 } ? onBehalfOf : $"service:{Regex.Replace(sender.ToString(), "(?<=[a-z])(?=[A-Z])", "-").ToLowerInvariant()}", tenantId is { Length: > 0 } ? tenantId : "*",
            new HashSet<string> { PlatformRoles.Service(sender) }, new HashSet<string>());

    public bool IsTenantAdmin => Roles.Overlaps(PlatformRoles.TenantAdmins);
    public bool IsOperator => Roles.Contains(PlatformRoles.PlatformOperator);
    public bool IsService(Sender sender) => Roles.Contains(PlatformRoles.Service(sender));

    public bool IsEnvironmentAdminOf(string environmentId) =>
        Roles.Overlaps(PlatformRoles.EnvironmentAdmins) && Environments.Contains(environmentId);

    public bool BelongsTo(string tenantId) =>
        string.Equals(TenantId, tenantId, StringComparison.Ordinal) || (IsOperator && TenantId == "*");

    /// <summary>Who may read a tenant's views: its administrators, its environments' administrators and its operators;
    /// not any token of the tenant, and not a storage service (it reads records and data keys only, D2).</summary>
    public Refusal? MustBeReaderOf(string tenantId) =>
        !BelongsTo(tenantId) ? OtherTenant(tenantId)
        : IsTenantAdmin || IsOperator || Roles.Overlaps(PlatformRoles.EnvironmentAdmins) ? null
        : Refusal.Unauthorized("Only an administrator or a platform operator of the tenant may read it.");

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

    /// <summary>Tenant admins of this tenant, or platform operators of it (a <c>tid</c> of the tenant, or <c>*</c>).</summary>
    public Refusal? MustBeTenantAdminOrOperator(string tenantId) =>
        IsOperator && BelongsTo(tenantId) ? null : MustBeTenantAdmin(tenantId);

    /// <summary>Platform operators of this tenant: their <c>tid</c> is the tenant, or <c>*</c> for the whole platform.</summary>
    public Refusal? MustBeOperatorOf(string tenantId) =>
        !IsOperator ? Refusal.Unauthorized("Only a platform operator may do this.")
        : BelongsTo(tenantId) ? null
        : Refusal.Unauthorized($"The operator belongs to tenant '{TenantId}' and may not act in tenant '{tenantId}'.");

    /// <summary>Platform-wide operators only (<c>tid</c> <c>*</c>): replay and rebuilds across every tenant.</summary>
    public Refusal? MustBePlatformOperator() =>
        !IsOperator ? Refusal.Unauthorized("Only a platform operator may do this.")
        : TenantId == "*" ? null
        : Refusal.Unauthorized($"Only a platform-wide operator (tid '*') may do this, not an operator of tenant '{TenantId}'.");

    /// <summary>Only this service of ours may send it (the saga-only commands: lock, reinstate, delete).</summary>
    public Refusal? MustBeService(Sender sender) =>
        IsService(sender) ? null : Refusal.Unauthorized($"Only the {sender} service may send this command.");

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
            .Select(c => c.Value).Where(role => !PlatformRoles.IsServiceRole(role)).ToHashSet(StringComparer.Ordinal);
        var environments = principal.FindAll(PlatformClaims.Environment).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Actor(subject, tenant, roles, environments);
    }

    public override string ToString() => $"{Subject}@{TenantId} [{string.Join(",", Roles)}]";
}
