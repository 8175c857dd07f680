using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

public static class BusCommandContext
{
    /// <summary>The command context of a message: its id makes redelivery harmless; the actor comes from the headers
    /// (a message without them acts as nobody, and every handler refuses it).</summary>
    public static CommandContext From(ConsumeContext context)
    {
        var commandId = context.MessageId ?? throw new InvalidOperationException("A command needs a message id.");
        var actor = context.Headers.GetActor()
                    ?? new Actor("anonymous", "", new HashSet<string>(), new HashSet<string>());
        return new CommandContext(actor, commandId,
            context.CorrelationId?.ToString() ?? context.ConversationId?.ToString() ?? commandId.ToString(),
            context.InitiatorId?.ToString());
    }
}
