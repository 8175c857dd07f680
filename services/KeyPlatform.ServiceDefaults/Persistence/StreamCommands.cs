using JasperFx.Events;
using KeyPlatform.ServiceDefaults.Commands;
using Marten;
using JasperFx;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>The glue around a decider: fetch the stream for writing, decide with the current time, append,
/// record the command id (and, for an HTTP request with an Idempotency-Key, that its command committed), commit. A concurrent writer makes the commit fail; the whole thing is then run
/// again on fresh state, so a conflict never loses a command.</summary>
public sealed class StreamCommands(IDocumentStore store, TimeProvider time, ILogger<StreamCommands> logger)
{
    // Many messages about one stream can arrive at once (hundreds of environments reporting to one lock cycle):
    // conflicts are expected there, and cheap to retry with a little jitter.
    private const int MaxAttempts = 30;

    public TimeProvider Time => time;

    /// <param name="streamKey">The stream decided on; null for a reaction that only writes documents (in
    /// <paramref name="beforeDecision"/> or <paramref name="afterDecision"/>): its decision may not emit events.</param>
    /// <param name="decide">Pure: (state or null for a new stream, now) to a decision.</param>
    /// <param name="afterDecision">Optional extra work in the same transaction (documents, deadlines).</param>
    /// <param name="beforeDecision">Optional work in the transaction before the state is read (taking a lock).</param>
    public async Task<CommandResult> DecideAsync<TState>(string? streamKey, CommandContext context,
        Func<TState?, DateTimeOffset, Decision> decide, CancellationToken cancellationToken,
        Action<IDocumentSession, Decision, DateTimeOffset>? afterDecision = null, string handler = "command",
        Func<IDocumentSession, CancellationToken, Task>? beforeDecision = null)
        where TState : class
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = await store.OpenWriteSessionAsync(cancellationToken);
            session.WithContext(context);
            if (await session.AlreadyHandledAsync(handler, context.CommandId, cancellationToken))
                return CommandResult.Accepted();

            if (beforeDecision is not null) await beforeDecision(session, cancellationToken);
            var stream = streamKey is null ? null : await session.Events.FetchForWriting<TState>(streamKey, cancellationToken);
            var now = time.GetUtcNow();
            var decision = decide(stream?.Aggregate, now);
            if (decision.Refusal is { } refusal) return CommandResult.Refused(refusal);

            if (stream is not null) stream.AppendMany(decision.Events);
            else if (decision.Events.Count > 0) throw new InvalidOperationException("A decision on no stream cannot emit events.");
            afterDecision?.Invoke(session, decision, now);
            session.MarkHandled(handler, context.CommandId, now);
            if (context.RememberedAnswerId is { } answerId) await session.MarkCommittedAsync(answerId, now, cancellationToken);
            try
            {
                await session.SaveChangesAsync(cancellationToken);
                return CommandResult.Accepted(decision.AlreadySatisfied);
            }
            catch (Exception e) when (IsConcurrencyConflict(e) && attempt < MaxAttempts)
            {
                logger.LogDebug("Concurrent write on stream {Stream}, attempt {Attempt}; deciding again", streamKey, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * Math.Min(attempt, 10))), cancellationToken);
            }
            catch (DocumentAlreadyExistsException)
            {
                return CommandResult.Accepted(); // the same command committed concurrently
            }
        }
    }

    public static bool IsConcurrencyConflict(Exception e) =>
        e is ConcurrencyException or Marten.Exceptions.ExistingStreamIdCollisionException
            or JasperFx.Events.ExistingStreamIdCollisionException;
}
