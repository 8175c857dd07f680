using KeyPlatform.Contracts.Messaging;

namespace KeyPlatform.ServiceDefaults.Auth;

/// <summary>The role claims of SPEC.md's actors table.</summary>
public static class PlatformRoles
{
    public const string PowerPlatformAdmin = "PowerPlatformAdmin";
    public const string Dynamics365Admin = "Dynamics365Admin";
    public const string EnvironmentAdmin = "EnvironmentAdmin";
    public const string SystemAdministrator = "SystemAdministrator";
    public const string PlatformOperator = "PlatformOperator";

    /// <summary>Platform storage services (D2): the only callers that receive plaintext data keys and records.</summary>
    public const string PlatformStorageService = "PlatformStorageService";

    /// <summary>The role of one of our services, granted only to a message whose broker-proven sender is that
    /// service; stripped from every token, so no identity provider can grant it.</summary>
    public static string Service(Sender sender) => ServiceRolePrefix + sender;

    public static bool IsServiceRole(string role) => role.StartsWith(ServiceRolePrefix, StringComparison.OrdinalIgnoreCase);

    private const string ServiceRolePrefix = "kp-service:";

    public static readonly IReadOnlySet<string> TenantAdmins = new HashSet<string> { PowerPlatformAdmin, Dynamics365Admin };
    public static readonly IReadOnlySet<string> EnvironmentAdmins = new HashSet<string> { EnvironmentAdmin, SystemAdministrator };
    public static readonly IReadOnlySet<string> All = new HashSet<string>
        { PowerPlatformAdmin, Dynamics365Admin, EnvironmentAdmin, SystemAdministrator, PlatformOperator, PlatformStorageService };
}

/// <summary>Claim names in our tokens, and the header names that carry the same principal over the bus.</summary>
public static class PlatformClaims
{
    public const string Subject = "sub";
    public const string Tenant = "tid";
    public const string Role = "roles";
    public const string Environment = "env";
}
