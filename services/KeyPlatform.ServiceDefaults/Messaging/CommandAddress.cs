namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Where a command to a service is sent: the exchange of its queue, which the provisioning declares and
/// binds (deploy/rabbitmq/command-queues.txt). A <c>queue:</c> address would make MassTransit bind the queue on every
/// send, which needs read rights on it, and read rights would let a sender consume the service's commands.</summary>
public static class CommandAddress
{
    public static Uri Of(string queue) => new($"exchange:{queue}");
}
