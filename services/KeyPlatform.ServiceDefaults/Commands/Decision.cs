using KeyPlatform.Contracts;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>Why a command was refused: the rule it breaks, a reason a person can read, and for a waiting
/// period the moment the same command becomes allowed. Never carries key material or passwords.</summary>
public sealed record Refusal(string Rule, string Reason, DateTimeOffset? AllowedAt = null)
{
    public static Refusal Unauthorized(string reason) => new(Rules.Authorization, reason);
    public static Refusal Invalid(string reason) => new(Rules.Validation, reason);
    public static Refusal NotFound(string reason) => new(Rules.NotFound, reason);
}

/// <summary>What a decider returns: the events to append, or a refusal. An empty list of events means the
/// command was already satisfied (idempotent repeat); <see cref="Satisfied"/> says so with what the caller should
/// be told (the state that already holds), instead of an acceptance.</summary>
public sealed class Decision
{
    private Decision(IReadOnlyList<object> events, Refusal? refusal, object? alreadySatisfied = null)
    {
        Events = events;
        Refusal = refusal;
        AlreadySatisfied = alreadySatisfied;
    }

    public IReadOnlyList<object> Events { get; }
    public Refusal? Refusal { get; }
    public bool IsRefused => Refusal is not null;

    /// <summary>Set when nothing is to be done because the command's goal already holds: what holds.</summary>
    public object? AlreadySatisfied { get; }

    public static Decision Nothing { get; } = new([], null);

    /// <summary>No events: the command's goal already holds, as <paramref name="state"/> shows.</summary>
    public static Decision Satisfied(object state) => new([], null, state);

    public static Decision Emit(params object[] events) => new(events, null);

    public static Decision Refuse(string rule, string reason, DateTimeOffset? allowedAt = null) =>
        new([], new Refusal(rule, reason, allowedAt));

    public static Decision Refuse(Refusal refusal) => new([], refusal);

    public override string ToString() =>
        IsRefused ? $"Refused {Refusal}"
        : AlreadySatisfied is not null ? $"Already satisfied {AlreadySatisfied}"
        : $"Emit [{string.Join(", ", Events.Select(e => e.GetType().Name))}]";
}
