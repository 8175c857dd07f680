namespace KeyPlatform.Contracts.Messaging;

/// <summary>Each service receives its commands (and the integration events it subscribes to) on one queue.
/// Send a command with <c>queue:{name}</c>.</summary>
public static class Queues
{
    public const string KeyService = "key-service";
    public const string EnvironmentEncryption = "environment-encryption";
    public const string TenantLock = "tenant-lock";
}

/// <summary>Headers that carry the acting principal over the bus (SPEC S2, X2). A platform service acting for a user
/// sends that user's access token in <see cref="Token"/>; it is validated exactly as a bearer token over HTTP, and the
/// other headers of such a message are ignored. Between our own services (whose sender the broker proves), the
/// <c>kp-actor-*</c> headers say on whose behalf a message was sent, for the audit trail.</summary>
public static class PrincipalHeaders
{
    public const string Token = "kp-actor-token";
    public const string Subject = "kp-actor-sub";
    public const string Tenant = "kp-actor-tid";
    public const string Roles = "kp-actor-roles";
    public const string Environments = "kp-actor-env";
}
