using KeyPlatform.ServiceDefaults.Persistence;
using Marten;
using JasperFx;
using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>A consumer whose effect is written to Marten together with the id of the message it came from: a
/// second delivery of the same message finds that id and changes nothing.</summary>
public abstract class IdempotentConsumer<TMessage>(IDocumentStore store, TimeProvider time) : IConsumer<TMessage>
    where TMessage : class
{
    protected TimeProvider Time => time;

    public async Task Consume(ConsumeContext<TMessage> context)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException("A message needs a message id.");
        var handler = GetType().Name;
        await using var session = await store.OpenWriteSessionAsync(context.CancellationToken);
        session.CorrelationId = context.CorrelationId?.ToString();
        session.CausationId = messageId.ToString();
        session.LastModifiedBy = BusCommandContext.ActorOf(context).Subject;
        if (await session.AlreadyHandledAsync(handler, messageId, context.CancellationToken)) return;

        await HandleAsync(context, session);
        session.MarkHandled(handler, messageId, time.GetUtcNow());
        try
        {
            await session.SaveChangesAsync(context.CancellationToken);
        }
        catch (DocumentAlreadyExistsException)
        {
            // the same message was applied by a concurrent delivery: this one changes nothing
        }
    }

    /// <summary>Write the effect to <paramref name="session"/>; do not save it.</summary>
    protected abstract Task HandleAsync(ConsumeContext<TMessage> context, IDocumentSession session);
}
