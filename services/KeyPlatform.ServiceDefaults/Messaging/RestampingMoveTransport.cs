using MassTransit;
using MassTransit.Middleware;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.RabbitMqTransport.Middleware;
using RabbitMQ.Client;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Moves a received message to the queue's error or dead-letter queue as MassTransit does, but stamped with
/// this service's own broker user id. MassTransit copies the message's properties, <c>user_id</c> included, and the
/// broker refuses a <c>user_id</c> that is not the connection's: a message from another sender could then never be
/// moved. The original sender is kept in the <see cref="RestampingMoves.OriginalSenderHeader"/> header.</summary>
public sealed class RestampingMoveTransport<TSettings>(string exchange, ConfigureRabbitMqTopologyFilter<TSettings> topology,
    string brokerUser) : RabbitMqMoveTransport<TSettings>(exchange, topology) where TSettings : class
{
    public Task MoveAsync(ReceiveContext context, Action<BasicProperties, SendHeaders> preSend) =>
        Move(context, (properties, headers) =>
        {
            headers.Set(RestampingMoves.OriginalSenderHeader, properties.IsUserIdPresent() ? properties.UserId : "(none)");
            properties.UserId = brokerUser;
            preSend(properties, headers);
        });
}

public static class RestampingMoves
{
    /// <summary>The broker user that sent a message found in an error or dead-letter queue.</summary>
    public const string OriginalSenderHeader = "kp-original-sender";

    /// <summary>The error pipe (fault, then move to <c>{queue}_error</c> with the exception headers) and the dead-letter
    /// pipe (move to <c>{queue}_skipped</c>) of MassTransit's defaults, through <see cref="RestampingMoveTransport{T}"/>.</summary>
    public static void UseRestampingMoves(this IRabbitMqReceiveEndpointConfigurator endpoint, IRabbitMqSendTopology topology,
        string brokerUser)
    {
        var settings = ((IRabbitMqReceiveEndpointConfiguration)endpoint).Settings;

        var error = topology.GetErrorSettings(settings);
        var errorMove = new RestampingMoveTransport<ErrorSettings>(error.ExchangeName,
            new ConfigureRabbitMqTopologyFilter<ErrorSettings>(error, error.GetBrokerTopology()), brokerUser);
        endpoint.ConfigureError(pipe =>
        {
            pipe.UseFilter(new GenerateFaultFilter());
            pipe.UseExecuteAsync(context => errorMove.MoveAsync(context, (properties, headers) =>
            {
                headers.CopyFrom(context.ExceptionHeaders);
                properties.ClearExpiration();
            }));
        });

        var deadLetter = topology.GetDeadLetterSettings(settings);
        var deadLetterMove = new RestampingMoveTransport<DeadLetterSettings>(deadLetter.ExchangeName,
            new ConfigureRabbitMqTopologyFilter<DeadLetterSettings>(deadLetter, deadLetter.GetBrokerTopology()), brokerUser);
        endpoint.ConfigureDeadLetter(pipe => pipe.UseExecuteAsync(context =>
            deadLetterMove.MoveAsync(context, (_, headers) => headers.Set(MessageHeaders.Reason, "dead-letter"))));
    }
}
