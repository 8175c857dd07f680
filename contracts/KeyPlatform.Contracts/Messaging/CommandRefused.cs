using MassTransit;

namespace KeyPlatform.Contracts.Messaging;

/// <summary>Published for every command refused on the bus (S2): which command, the rule it broke, why, and
/// for a waiting period when it becomes allowed. <see cref="CommandId"/> is the refused message's id.</summary>
[SentBy(Sender.KeyService, Sender.EnvironmentEncryption, Sender.TenantLock)]
[MessageUrn("urn:keyplatform:command-refused:v1", false)]
[EntityName("keyplatform.command-refused.v1")]
public sealed record CommandRefused(
    Guid CommandId,
    string Command,
    string TenantId,
    string Rule,
    string Reason,
    DateTimeOffset? AllowedAt,
    DateTimeOffset RefusedAt);
