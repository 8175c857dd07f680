namespace KeyPlatform.Contracts.Messaging;

/// <summary>Who may put a message on the bus. Each is a broker user of its own; the broker checks the RabbitMQ
/// <c>user_id</c> of every message against the connection's user, and every consumer checks it against the
/// <see cref="SentByAttribute"/> of the message type.</summary>
public enum Sender
{
    KeyService,
    EnvironmentEncryption,

    /// <summary>The tenant-lock saga: the only sender of the commands that lock, reinstate and delete.</summary>
    TenantLock,

    /// <summary>Another service of the platform acting for a user: the message must carry that user's access
    /// token (<see cref="PrincipalHeaders.Token"/>), validated as HTTP validates a bearer token.</summary>
    PlatformService,
}

/// <summary>The senders allowed to send or publish a message type. A type without it is refused by every consumer
/// (fail closed), and a test checks that every contract has one.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SentByAttribute(params Sender[] senders) : Attribute
{
    public IReadOnlyList<Sender> Senders { get; } = senders;
}
