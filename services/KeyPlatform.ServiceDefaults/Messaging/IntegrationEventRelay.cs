using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.Serialization;
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
using Microsoft.Extensions.Options;

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
/// RabbitMQ. A page's streams are published concurrently, the events of one stream one after the other (a consumer
/// keeping the last fact of a stream sees them in order); the page's position is stored by Marten only once every
/// message of it is confirmed by the broker. A broker that fails or does not answer pauses the subscription through
/// its controller (the daemon restarts it from the stored position, so the page is published again: at-least-once,
/// which is why the message id is derived from the event id and consumers dedupe) and turns the <c>relay</c>
/// readiness check Degraded. A message that can never be sent (mapping or serialisation fails) is a Marten dead
/// letter, logged and counted, and the page goes on without it. Decision 0024.</summary>
public sealed class IntegrationEventRelay : SubscriptionBase
{
    public const string SubscriptionName = "IntegrationEventRelay";
    private readonly IBus bus;
    private readonly IIntegrationEventMap map;
    private readonly IntegrationEventRelayHealth health;
    private readonly IntegrationEventRelayOptions options;
    private readonly ILogger<IntegrationEventRelay> logger;
    private readonly Actor serviceActor;

    public IntegrationEventRelay(IBus bus, IIntegrationEventMap map, IntegrationEventRelayHealth health,
        IOptions<IntegrationEventRelayOptions> options, ServiceIdentity service, ILogger<IntegrationEventRelay> logger)
    {
        this.bus = bus;
        this.map = map;
        this.health = health;
        this.options = options.Value;
        this.logger = logger;
        serviceActor = Actor.Service(service.Sender);
        Name = SubscriptionName;
        Options.BatchSize = this.options.PageSize;
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var deadLetters = new ConcurrentQueue<(IEvent Event, Exception Failure)>();
        try
        {
            var streams = page.Events.GroupBy(e => e.StreamKey ?? e.StreamId.ToString());
            await Parallel.ForEachAsync(streams,
                new ParallelOptions { MaxDegreeOfParallelism = options.MaxInFlight, CancellationToken = cancellationToken },
                async (stream, streamCancellation) =>
                {
                    foreach (var @event in stream)
                        if (await RelayEventAsync(@event, streamCancellation) is { } unsendable)
                            deadLetters.Enqueue((@event, unsendable));
                });
        }
        catch (Exception failure) when (!cancellationToken.IsCancellationRequested)
        {
            // The broker failed or did not confirm in time: nothing of this page may count as done. Pausing stops the
            // daemon from storing the position; it restarts the subscription from the stored one after a while.
            health.Paused(page.SequenceFloor, page.SequenceCeiling, failure);
            PlatformTelemetry.RelayPauses.Add(1);
            logger.LogError(failure, "Relay paused: events {Floor}..{Ceiling} were not all confirmed by the broker; the page will be published again",
                page.SequenceFloor + 1, page.SequenceCeiling);
            await controller.ReportCriticalFailureAsync(failure);
            throw new OperationCanceledException("The relay paused its page after a publish failure.", failure, cancellationToken);
        }

        foreach (var (@event, failure) in deadLetters.OrderBy(d => d.Event.Sequence))
        {
            PlatformTelemetry.RelayDeadLetters.Add(1);
            logger.LogError(failure, "Relay dead-lettered event {Sequence} ({EventType}) of {Stream}: it can never be sent",
                @event.Sequence, @event.EventTypeName, @event.StreamKey);
            await controller.RecordDeadLetterEventAsync(@event, failure);
        }
        health.Published();
        return NullChangeListener.Instance;
    }

    /// <returns>The failure that makes the event impossible to send (it becomes a dead letter), or null once all its
    /// messages are confirmed. A broker failure is thrown.</returns>
    private async Task<Exception?> RelayEventAsync(IEvent @event, CancellationToken cancellationToken)
    {
        List<OutgoingMessage> messages;
        try
        {
            messages = map.Map(@event).ToList();
        }
        catch (Exception unmappable)
        {
            return unmappable;
        }

        for (var index = 0; index < messages.Count; index++)
        {
            try
            {
                await RelayAsync(@event, messages[index], index, cancellationToken);
            }
            catch (Exception e) when (CanNeverBeSent(e))
            {
                return e;
            }
        }
        return null;
    }

    /// <summary>A message the serialiser refuses fails the same way on every attempt; anything else (connection,
    /// channel, confirm, timeout) may pass once the broker is back.</summary>
    private static bool CanNeverBeSent(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
            if (cause is SerializationException) return true;
        return false;
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
            new SourceStreamVersion(@event.StreamKey ?? @event.StreamId.ToString(), @event.Version).Stamp(context);
            // Commands leave with the principal who caused the event, or the service itself (timers, reactions).
            context.SetActor(ActorOf(@event) ?? serviceActor);
        }

        using var confirm = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        confirm.CancelAfter(options.PublishTimeout);
        try
        {
            if (outgoing.SendToQueue is { } queue)
            {
                var endpoint = await bus.GetSendEndpoint(CommandAddress.Of(queue));
                await endpoint.Send(outgoing.Message, outgoing.Message.GetType(), Pipe.Execute<SendContext>(Stamp), confirm.Token);
            }
            else
            {
                await bus.Publish(outgoing.Message, outgoing.Message.GetType(), Pipe.Execute<PublishContext>(Stamp), confirm.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The broker did not confirm {outgoing.Message.GetType().Name} {messageId} within {options.PublishTimeout}.");
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
