using Marten;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>A message a consumer has already applied. Stored in the same transaction as the effect, so a
/// redelivery finds it and changes nothing.</summary>
public sealed class HandledMessage
{
    public string Id { get; set; } = "";
    public DateTimeOffset HandledAt { get; set; }

    public static string KeyFor(string handler, Guid messageId) => $"{handler}:{messageId:N}";
}

public static class Inbox
{
    public static async Task<bool> AlreadyHandledAsync(this IQuerySession session, string handler, Guid messageId,
        CancellationToken cancellationToken) =>
        await session.LoadAsync<HandledMessage>(HandledMessage.KeyFor(handler, messageId), cancellationToken) is not null;

    /// <summary>Insert, not upsert: two racing deliveries of one message cannot both commit.</summary>
    public static void MarkHandled(this IDocumentSession session, string handler, Guid messageId, DateTimeOffset now) =>
        session.Insert(new HandledMessage { Id = HandledMessage.KeyFor(handler, messageId), HandledAt = now });
}
