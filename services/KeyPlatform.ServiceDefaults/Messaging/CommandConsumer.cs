using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Identifiers;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>The bus way into a command handler: the actor the bus edge proved (<see cref="MessagePrincipal"/>), the message id as the command id (so a
/// redelivery is recognised), the command's ids checked (X3) before the handler runs, as over HTTP, and a refusal
/// published as <see cref="CommandRefused"/> (and as the command's own refusal event, if it has one: its sender decides on it).</summary>
public sealed class CommandConsumer<TCommand>(ICommandHandler<TCommand> handler, PlatformIds ids, TimeProvider time,
    ILogger<CommandConsumer<TCommand>> logger, ICommandRefusalEvent<TCommand>? refusalEvent = null) : IConsumer<TCommand>
    where TCommand : class, ITenantCommand
{
    public async Task Consume(ConsumeContext<TCommand> context)
    {
        var commandContext = BusCommandContext.From(context);
        var commandId = commandContext.CommandId;
        var result = ids.Check(context.Message) is { } notCanonical
            ? CommandResult.Refused(notCanonical)
            : await handler.HandleAsync(context.Message, commandContext, context.CancellationToken);

        if (result.Refusal is not { } refusal) return;
        logger.LogInformation("Command {Command} {CommandId} refused by {Rule}: {Reason}",
            typeof(TCommand).Name, commandId, refusal.Rule, refusal.Reason);
        await context.Publish(new CommandRefused(commandId, typeof(TCommand).Name, context.Message.TenantId,
            refusal.Rule, refusal.Reason, refusal.AllowedAt, time.GetUtcNow()), publish =>
        {
            publish.MessageId = NewId.NextGuid();
            publish.CorrelationId = context.CorrelationId;
        });
        if (refusalEvent?.Create(context.Message, refusal, time.GetUtcNow()) is { } refused)
            await context.Publish(refused, publish => publish.CorrelationId = context.CorrelationId);
    }
}

/// <summary>The refusal event of a command whose sender decides on the refusal (a saga's step): published by
/// <see cref="CommandConsumer{TCommand}"/> beside <see cref="CommandRefused"/>, which does not name the command's subject.</summary>
public interface ICommandRefusalEvent<in TCommand>
{
    object Create(TCommand command, Refusal refusal, DateTimeOffset refusedAt);
}
