using System.Text.Json;
using Marten;

namespace KeyPlatform.ServiceDefaults.Deadlines;

/// <summary>A deadline that must fire: stored as a document in the same transaction as the events that ask for
/// it, found by <see cref="DeadlineDispatcher"/> once <see cref="TimeProvider"/> says it is due, and marked fired
/// in the same transaction as its handler's effect, so it fires once in effect, across restarts.</summary>
public sealed class Deadline
{
    public string Id { get; set; } = "";
    public string PayloadType { get; set; } = "";
    public string Payload { get; set; } = "{}";
    public DateTimeOffset DueAt { get; set; }
    public DateTimeOffset ScheduledAt { get; set; }
    public DateTimeOffset? FiredAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }
    public int FailedAttempts { get; set; }
    public string? LastError { get; set; }
    public string? CorrelationId { get; set; }

    public bool IsPending => FiredAt is null && CancelledAt is null;
}

public static class DeadlineScheduling
{
    public static string PayloadTypeName(Type type) => type.FullName ?? type.Name;

    /// <summary>Schedules (or moves) a deadline, in the session's transaction. The id is the caller's: a stable id
    /// makes scheduling the same deadline twice harmless.</summary>
    public static Deadline ScheduleDeadline<TPayload>(this IDocumentSession session, string id, DateTimeOffset dueAt,
        TPayload payload, DateTimeOffset now) where TPayload : class
    {
        var deadline = new Deadline
        {
            Id = id,
            PayloadType = PayloadTypeName(typeof(TPayload)),
            Payload = JsonSerializer.Serialize(payload),
            DueAt = dueAt,
            ScheduledAt = now,
            CorrelationId = session.CorrelationId,
        };
        session.Store(deadline);
        return deadline;
    }

    /// <summary>Cancels a pending deadline in the session's transaction. Returns false when it had already fired
    /// or does not exist.</summary>
    public static async Task<bool> CancelDeadlineAsync(this IDocumentSession session, string id, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var deadline = await session.LoadAsync<Deadline>(id, cancellationToken);
        if (deadline is null || !deadline.IsPending) return false;
        deadline.CancelledAt = now;
        session.Store(deadline);
        return true;
    }
}

/// <summary>Handles a due deadline of one payload type. Whatever it writes to <paramref name="session"/> commits
/// together with the deadline being marked fired.</summary>
public interface IDeadlineHandler<in TPayload> where TPayload : class
{
    Task HandleAsync(TPayload payload, Deadline deadline, IDocumentSession session, CancellationToken cancellationToken);
}
