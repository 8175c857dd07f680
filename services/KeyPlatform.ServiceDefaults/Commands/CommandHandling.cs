using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>Everything about a command that is not the command itself: who sent it, and the ids that tie it to
/// what caused it. <see cref="CommandId"/> is the bus message id, over HTTP the id derived from the request's
/// <c>Idempotency-Key</c> (or a fresh id without one), and is what makes a redelivered command change nothing.</summary>
public sealed record CommandContext(Actor Actor, Guid CommandId, string CorrelationId, string? CausationId)
{
    /// <summary>The remembered answer of the HTTP request with an <c>Idempotency-Key</c> that carries this command: its
    /// commit is recorded in the transaction of the command's effect (<see cref="Persistence.StreamCommands"/>).</summary>
    public string? RememberedAnswerId { get; init; }

    public static CommandContext ForHttp(Actor actor, string? correlationId, Guid? commandId = null) =>
        new(actor, commandId ?? Guid.NewGuid(), correlationId ?? Guid.NewGuid().ToString("N"), null);
}

/// <summary>What handling a command came to: accepted (with an optional response body for HTTP), or refused.</summary>
public sealed record CommandResult(Refusal? Refusal, object? Response = null)
{
    public bool IsRefused => Refusal is not null;
    public static CommandResult Accepted(object? response = null) => new(null, response);
    public static CommandResult Refused(Refusal refusal) => new(refusal);
}

/// <summary>One handler per command. Endpoints and bus consumers both call it; authorization, the decider and
/// the append all happen inside, so the two ways in cannot drift apart.</summary>
public interface ICommandHandler<in TCommand> where TCommand : class
{
    Task<CommandResult> HandleAsync(TCommand command, CommandContext context, CancellationToken cancellationToken);
}
