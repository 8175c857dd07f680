using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.Authorization.Tests;

/// <summary>The columns of the matrix: who calls, from which tenant, for which environment. Every call is made in
/// <see cref="OwnTenant"/> and, where a route names one, for <see cref="OwnEnvironment"/>.</summary>
public sealed record Caller(string Column, string? TenantId, string[] Roles, string[] Environments)
{
    public const string OwnTenant = "authz-own";
    public const string OtherTenant = "authz-other";
    public const string OwnEnvironment = "env-own";
    public const string OtherEnvironment = "env-other";

    /// <summary>No token at all.</summary>
    public bool IsAnonymous => TenantId is null;

    public static readonly IReadOnlyList<Caller> All =
    [
        new("anonymous", null, [], []),
        new("no-role", OwnTenant, [], []),
        new("tenant-admin", OwnTenant, [PlatformRoles.PowerPlatformAdmin], []),
        new("tenant-admin-elsewhere", OtherTenant, [PlatformRoles.PowerPlatformAdmin], []),
        new("env-admin", OwnTenant, [PlatformRoles.EnvironmentAdmin], [OwnEnvironment]),
        new("env-admin-other-env", OwnTenant, [PlatformRoles.EnvironmentAdmin], [OtherEnvironment]),
        new("env-admin-elsewhere", OtherTenant, [PlatformRoles.EnvironmentAdmin], [OwnEnvironment]),
        new("operator", OwnTenant, [PlatformRoles.PlatformOperator], []),
        new("operator-elsewhere", OtherTenant, [PlatformRoles.PlatformOperator], []),
        new("platform-operator", "*", [PlatformRoles.PlatformOperator], []),
        new("storage", OwnTenant, [PlatformRoles.PlatformStorageService], []),
        new("storage-elsewhere", OtherTenant, [PlatformRoles.PlatformStorageService], []),
    ];

    public string? TokenFor(JwtOptions jwt) => IsAnonymous
        ? null
        : DevTokens.Mint(jwt, $"{Column}@{TenantId}", TenantId!, Roles, Environments);

    public override string ToString() => Column;
}
