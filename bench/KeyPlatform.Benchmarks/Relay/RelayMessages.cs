using JasperFx.Events;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace KeyPlatform.Benchmarks.Relay;

/// <summary>The domain event the benchmark commits; the relay turns it into a <see cref="BenchPing"/>.</summary>
public sealed record BenchNoteWritten(string Id);

/// <summary>The integration message, relayed (or, for the baseline, published directly).</summary>
[SentBy(Sender.KeyService)]
public sealed record BenchPing(string Id);

/// <summary>The effect the idempotent consumer writes for each ping.</summary>
public sealed record BenchPingRecorded(string Id);

/// <summary>A message with a consumer that does nothing: the broker alone.</summary>
[SentBy(Sender.KeyService)]
public sealed record BenchEcho(string Id);

public sealed class NotesAsBenchPings : IIntegrationEventMap
{
    public IEnumerable<OutgoingMessage> Map(IEvent @event) => @event.Data switch
    {
        BenchNoteWritten note => [OutgoingMessage.Publish(new BenchPing(note.Id))],
        _ => [],
    };
}

/// <summary>The platform's idempotent consumer: inbox check, one appended event and the inbox row in one transaction.</summary>
public sealed class BenchPingConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<BenchPing>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<BenchPing> context, IDocumentSession session)
    {
        session.Events.Append($"ping:{context.Message.Id}", new BenchPingRecorded(context.Message.Id));
        return Task.CompletedTask;
    }
}

public sealed class BenchEchoConsumer : IConsumer<BenchEcho>
{
    public Task Consume(ConsumeContext<BenchEcho> context) => Task.CompletedTask;
}
