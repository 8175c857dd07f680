using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

public static class SenderStamping
{
    /// <summary>Every message this bus sends or publishes carries the RabbitMQ <c>user_id</c> property of the
    /// connection's user. The broker refuses a <c>user_id</c> that is not the connection's own, so consumers can
    /// trust it as the sender (see <see cref="SenderVerificationFilter{T}"/>).</summary>
    public static void StampSender(this IBusFactoryConfigurator bus, string brokerUser)
    {
        bus.ConfigureSend(send => send.UseSendExecute(context => Stamp(context, brokerUser)));
        bus.ConfigurePublish(publish => publish.UseExecute(context => Stamp(context, brokerUser)));
    }

    private static void Stamp(SendContext context, string brokerUser)
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit)) rabbit.BasicProperties.UserId = brokerUser;
    }

    /// <summary>The broker-proven sender of a received message: its <c>user_id</c>, or null when it has none.</summary>
    public static string? BrokerUserOf(ReceiveContext context) =>
        context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && rabbit.Properties.IsUserIdPresent()
            ? rabbit.Properties.UserId
            : null;
}
