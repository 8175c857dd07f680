using Marten;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>Where an HTTP command sent with an <c>Idempotency-Key</c> has got to.</summary>
public enum RememberedAnswerState
{
    /// <summary>An attempt is deciding; until <see cref="RememberedAnswer.StartedAt"/> plus the lease, others wait.</summary>
    Running,

    /// <summary>The command's effect is committed (written in the effect's own transaction); its answer is not yet stored.</summary>
    Committed,

    /// <summary>The first answer is stored (or withheld, when it carried key material); every retry gets it.</summary>
    Answered,
}

/// <summary>
/// One <c>Idempotency-Key</c> of one caller on one route: the hash of the request that first used it, and the answer
/// that request got. The id is the command id the inbox records (<see cref="HandledMessage"/>), derived from subject,
/// tenant, method, path and key. The request body is never stored, only its hash; an answer marked
/// <c>Cache-Control: no-store</c> (a generated .pfx) is withheld: its status is kept, its body is not.
/// </summary>
public sealed class RememberedAnswer
{
    public string Id { get; set; } = "";
    public Guid CommandId { get; set; }
    public string RequestHash { get; set; } = "";
    public RememberedAnswerState State { get; set; }

    /// <summary>The attempt that holds a <see cref="RememberedAnswerState.Running"/> answer.</summary>
    public Guid Attempt { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The last change; the retention (<c>Messaging:Retention</c>) counts from here.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    public int Status { get; set; }
    public string? ContentType { get; set; }
    public string? Location { get; set; }

    /// <summary>When a refusal's wait ends (its Retry-After is counted down from here when repeated).</summary>
    public DateTimeOffset? RetryAt { get; set; }

    public byte[]? Body { get; set; }
    public bool Withheld { get; set; }
}

public static class RememberedAnswerSessions
{
    /// <summary>In the transaction of the command's effect: the answer's command is committed with it, so no crash can
    /// leave an effect whose key a retry would not recognise.</summary>
    public static async Task MarkCommittedAsync(this IDocumentSession session, string answerId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var answer = await session.LoadAsync<RememberedAnswer>(answerId, cancellationToken);
        if (answer is null || answer.State != RememberedAnswerState.Running) return;
        answer.State = RememberedAnswerState.Committed;
        answer.RecordedAt = now;
        session.Store(answer);
    }
}
