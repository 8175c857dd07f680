using System.Diagnostics;
using System.Security.Cryptography;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.ServiceDefaults.Telemetry;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>A message a domain event becomes: published to whoever subscribes, or sent to one service's queue.</summary>
public sealed record OutgoingMessage(object Message, string? SendToQueue = null)
{
    public static OutgoingMessage Publish(object message) => new(message);
    public static OutgoingMessage Send(object message, string queue) => new(message, queue);
}

/// <summary>Each service says which of its domain events leave it, and as which contracts.</summary>
public interface IIntegrationEventMap
{
    IEnumerable<OutgoingMessage> Map(IEvent @event);
}

/// <summary>The outbox: a Marten subscription that reads committed events in order and hands their contracts to
/// RabbitMQ. Its position is stored by Marten after each page, so it resumes after a restart; a crash mid-page
/// publishes that page again, which is why the message id is derived from the event id and consumers dedupe.</summary>
public sealed class IntegrationEventRelay : SubscriptionBase
{
    public const string SubscriptionName = "IntegrationEventRelay";
    private readonly IBus bus;
    private readonly IIntegrationEventMap map;
    private readonly ILogger<IntegrationEventRelay> logger;

    public IntegrationEventRelay(IBus bus, IIntegrationEventMap map, ILogger<IntegrationEventRelay> logger)
    {
        this.bus = bus;
        this.map = map;
        this.logger = logger;
        Name = SubscriptionName;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        foreach (var @event in page.Events)
        {
            var index = 0;
            foreach (var outgoing in map.Map(@event))
                await RelayAsync(@event, outgoing, index++, cancellationToken);
        }
        return NullChangeListener.Instance;
    }

    private async Task RelayAsync(IEvent @event, OutgoingMessage outgoing, int index, CancellationToken cancellationToken)
    {
        using var activity = PlatformTelemetry.ActivitySource.StartActivity(
            $"relay {outgoing.Message.GetType().Name}", ActivityKind.Producer, ParentOf(@event));
        activity?.SetTag("keyplatform.stream", @event.StreamKey);
        activity?.SetTag("keyplatform.event_sequence", @event.Sequence);

        var messageId = MessageIdFor(@event.Id, index);
        void Stamp(SendContext context)
        {
            context.MessageId = messageId;
            if (Guid.TryParse(@event.CorrelationId, out var correlation)) context.CorrelationId = correlation;
            context.Headers.Set("kp-stream", @event.StreamKey);
            context.Headers.Set("kp-stream-version", @event.Version);
            if (@event.UserName is { } user) context.Headers.Set("kp-caused-by", user);
        }

        if (outgoing.SendToQueue is { } queue)
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{queue}"));
            await endpoint.Send(outgoing.Message, outgoing.Message.GetType(), Pipe.Execute<SendContext>(Stamp), cancellationToken);
        }
        else
        {
            await bus.Publish(outgoing.Message, outgoing.Message.GetType(), Pipe.Execute<PublishContext>(Stamp), cancellationToken);
        }
        PlatformTelemetry.RelayedMessages.Add(1);
        logger.LogDebug("Relayed event {Sequence} of {Stream} as {Message} {MessageId}",
            @event.Sequence, @event.StreamKey, outgoing.Message.GetType().Name, messageId);
    }

    /// <summary>The first message of an event takes the event's id; any further one a stable id derived from it.</summary>
    public static Guid MessageIdFor(Guid eventId, int index)
    {
        if (index == 0) return eventId;
        Span<byte> input = stackalloc byte[20];
        eventId.TryWriteBytes(input);
        BitConverter.TryWriteBytes(input[16..], index);
        return new Guid(SHA256.HashData(input)[..16]);
    }

    private static ActivityContext ParentOf(IEvent @event) =>
        @event.Headers?.TryGetValue(EventHeaders.TraceParent, out var value) == true
        && ActivityContext.TryParse(value?.ToString(), null, out var parent)
            ? parent
            : default;
}
