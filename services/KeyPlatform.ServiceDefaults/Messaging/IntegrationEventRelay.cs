using System.Diagnostics;
using System.Security.Cryptography;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Hosting;
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
    private readonly Actor serviceActor;

    public IntegrationEventRelay(IBus bus, IIntegrationEventMap map, ServiceIdentity service, ILogger<IntegrationEventRelay> logger)
    {
        this.bus = bus;
        this.map = map;
        this.logger = logger;
        serviceActor = Actor.Service(service.Sender);
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
            // Commands leave with the principal who caused the event, or the service itself (timers, reactions).
            context.SetActor(ActorOf(@event) ?? serviceActor);
        }

        if (outgoing.SendToQueue is { } queue)
        {
            var endpoint = await bus.GetSendEndpoint(CommandAddress.Of(queue));
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

    private static Actor? ActorOf(IEvent @event)
    {
        if (@event.UserName is not { Length: > 0 } subject || Header(@event, EventHeaders.ActorTenant) is not { } tenant) return null;
        var roles = (Header(@event, EventHeaders.ActorRoles) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return new Actor(subject, tenant, roles, new HashSet<string>());
    }

    private static string? Header(IEvent @event, string name) =>
        @event.Headers?.TryGetValue(name, out var value) == true ? value?.ToString() : null;

    private static ActivityContext ParentOf(IEvent @event) =>
        ActivityContext.TryParse(Header(@event, EventHeaders.TraceParent), null, out var parent)
            ? parent
            : default;
}
