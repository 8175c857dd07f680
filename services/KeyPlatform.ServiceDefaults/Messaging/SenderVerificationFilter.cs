using System.Reflection;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>The bus edge of trust, before any consumer (X2, docs/decisions/0007): the message's
/// broker-proven sender (RabbitMQ <c>user_id</c>) must be one its type's <see cref="SentByAttribute"/> allows, and a
/// platform service's message must carry a valid access token of the user it acts for. The proved principal becomes
/// the <see cref="MessagePrincipal"/> payload. A message that fails changes nothing: a command is answered by
/// <see cref="CommandRefused"/> (AUTHZ), and the message goes to the error queue with the reason.</summary>
public sealed class SenderVerificationFilter<T>(BrokerSenders senders, BusTokenValidator tokens, TimeProvider time,
    ILogger<SenderVerificationFilter<T>> logger) : IFilter<ConsumeContext<T>> where T : class
{
    private static readonly IReadOnlyList<Sender> Allowed = typeof(T).GetCustomAttribute<SentByAttribute>()?.Senders ?? [];

    // A batch is made of messages that each passed this filter on their way in (BatchItemVerification).
    private static readonly bool IsBatch = typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(Batch<>);

    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (IsBatch)
        {
            await next.Send(context);
            return;
        }

        var (principal, refused) = await ProveAsync(context);
        if (principal is null)
        {
            await RefuseAsync(context, refused!);
            throw new UntrustedMessageException(refused!);
        }
        context.GetOrAddPayload(() => principal);
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("senderVerification");

    private async Task<(MessagePrincipal? Principal, string? Refused)> ProveAsync(ConsumeContext<T> context)
    {
        var user = SenderStamping.BrokerUserOf(context.ReceiveContext);
        var message = typeof(T).Name;
        if (senders.SenderOf(user) is not { } sender)
            return (null, user is null
                ? $"{message} carries no broker user id: its sender is unknown"
                : $"{message} was sent by broker user '{user}', which is no sender of the platform");
        if (!Allowed.Contains(sender))
            return (null, $"{message} may be sent only by {(Allowed.Count == 0 ? "nobody" : string.Join(" or ", Allowed))}, not by {sender}");

        if (sender != Sender.PlatformService)
        {
            // Our own service: its principal headers say whom it acted for (audit); the only role is the service's.
            var onBehalfOf = context.Headers.GetActor();
            return (new MessagePrincipal(sender, Actor.Service(sender, onBehalfOf?.Subject, onBehalfOf?.TenantId)), null);
        }

        var (actor, tokenRefused) = await tokens.ValidateAsync(context.Headers.Get<string>(PrincipalHeaders.Token), context.CancellationToken);
        return actor is null ? (null, $"{message} from a platform service: {tokenRefused}") : (new MessagePrincipal(sender, actor), null);
    }

    private async Task RefuseAsync(ConsumeContext<T> context, string reason)
    {
        logger.LogWarning("Refused {Message} {MessageId}: {Reason}", typeof(T).Name, context.MessageId, reason);
        PlatformTelemetry.UntrustedMessages.Add(1, new KeyValuePair<string, object?>("message", typeof(T).Name));
        if (context.Message is not ITenantCommand command || context.MessageId is not { } commandId) return;
        await context.Publish(new CommandRefused(commandId, typeof(T).Name, command.TenantId, Rules.Authorization,
            $"The command was refused at the bus edge: {reason}.", null, time.GetUtcNow()), publish =>
        {
            publish.MessageId = NewId.NextGuid();
            publish.CorrelationId = context.CorrelationId;
        });
    }
}
