namespace KeyPlatform.Contracts.Messaging;

/// <summary>Each service receives its commands (and the integration events it subscribes to) on one queue.
/// Send a command with <c>queue:{name}</c>.</summary>
public static class Queues
{
    public const string KeyService = "key-service";
    public const string EnvironmentEncryption = "environment-encryption";
    public const string TenantLock = "tenant-lock";
}

/// <summary>Headers that carry the acting principal on commands sent over the bus (SPEC S2: checked the same way
/// as a token over HTTP).</summary>
public static class PrincipalHeaders
{
    public const string Subject = "kp-actor-sub";
    public const string Tenant = "kp-actor-tid";
    public const string Roles = "kp-actor-roles";
    public const string Environments = "kp-actor-env";
}
