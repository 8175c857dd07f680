using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

public static class BusCommandContext
{
    /// <summary>The command context of a message: its id makes redelivery harmless; the actor is the one
    /// <see cref="SenderVerificationFilter{T}"/> proved (a message that reached a consumer without it acts as nobody,
    /// and every handler refuses it).</summary>
    public static CommandContext From(ConsumeContext context)
    {
        var commandId = context.MessageId ?? throw new InvalidOperationException("A command needs a message id.");
        return new CommandContext(ActorOf(context), commandId,
            context.CorrelationId?.ToString() ?? context.ConversationId?.ToString() ?? commandId.ToString(),
            context.InitiatorId?.ToString());
    }

    public static Actor ActorOf(ConsumeContext context) =>
        context.TryGetPayload<MessagePrincipal>(out var principal)
            ? principal.Actor
            : new Actor("anonymous", "", new HashSet<string>(), new HashSet<string>());
}
