using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>How often the bus retries a failing consumer before the message goes to the error queue (the same
/// intervals the bus is configured with). A consumer that must not leave its work half done in the error queue decides
/// the failure itself on the last attempt.</summary>
public sealed class MessageRetries(int retries)
{
    public int Retries { get; } = retries;

    /// <summary>True on the delivery after which the bus retries no more (first delivery: attempt 0).</summary>
    public bool IsLastAttempt(ConsumeContext context) => context.GetRetryAttempt() >= Retries;
}
