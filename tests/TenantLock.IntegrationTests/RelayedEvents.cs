using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using Marten;
using MassTransit;

namespace TenantLock.IntegrationTests;

/// <summary>Plays another service's relay: publishes an integration event stamped with the stream and version it came
/// from, and waits until the saga has handled a message (its inbox record).</summary>
public static class RelayedEvents
{
    public static async Task<Guid> PublishFromStreamAsync<T>(this TestBus bus, T message, string stream, long version, Guid? messageId = null)
        where T : class
    {
        var id = messageId ?? NewId.NextGuid();
        await bus.Bus.Publish(message, context =>
        {
            context.MessageId = id;
            new SourceStreamVersion(stream, version).Stamp(context);
        });
        return id;
    }

    public static async Task<Guid> PublishWithIdAsync<T>(this TestBus bus, T message) where T : class
    {
        var id = NewId.NextGuid();
        await bus.Bus.Publish(message, context => context.MessageId = id);
        return id;
    }

    public static Task HandledAsync(this IDocumentStore store, Guid messageId, string what) =>
        Eventually.TrueAsync(async () =>
        {
            await using var query = store.QuerySession();
            return await query.LoadAsync<HandledMessage>(HandledMessage.KeyFor("command", messageId)) is not null;
        }, what);
}
