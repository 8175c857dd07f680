using KeyPlatform.Contracts.Messaging;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Configuration section <c>Messaging:Senders</c>: the broker user of each sender (see
/// <c>deploy/rabbitmq/broker-users.tsv</c>). The broker proves a message's <c>user_id</c>; this says which sender that
/// user is.</summary>
public sealed class BrokerSenders
{
    public const string Section = "Messaging:Senders";

    public string[] KeyService { get; set; } = ["kp-key-service"];
    public string[] EnvironmentEncryption { get; set; } = ["kp-environment-encryption"];
    public string[] TenantLock { get; set; } = ["kp-tenant-lock"];

    /// <summary>The broker users of the other platform services that send commands for users.</summary>
    public string[] PlatformService { get; set; } = ["kp-platform-service"];

    /// <summary>The sender a broker user is, or null for a user that is none of them (or no user at all).</summary>
    public Sender? SenderOf(string? brokerUser)
    {
        if (string.IsNullOrEmpty(brokerUser)) return null;
        foreach (var sender in Enum.GetValues<Sender>())
            if (UsersOf(sender).Contains(brokerUser, StringComparer.Ordinal)) return sender;
        return null;
    }

    public IReadOnlyList<string> UsersOf(Sender sender) => sender switch
    {
        Sender.KeyService => KeyService,
        Sender.EnvironmentEncryption => EnvironmentEncryption,
        Sender.TenantLock => TenantLock,
        _ => PlatformService,
    };
}
