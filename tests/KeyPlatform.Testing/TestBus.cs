using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using MassTransit;

namespace KeyPlatform.Testing;

/// <summary>A bus of its own in a test's virtual host, connected as one sender's broker user and stamping its
/// <c>user_id</c> as our services do: another platform service (with a user's token), or a stand-in for one of our
/// services whose messages a test needs to play.</summary>
public sealed class TestBus : IAsyncDisposable
{
    private readonly IBusControl bus;

    private TestBus(IBusControl bus, Sender sender)
    {
        this.bus = bus;
        Sender = sender;
    }

    public Sender Sender { get; }
    public IBus Bus => bus;

    public static async Task<TestBus> StartAsync(TestBroker broker, Sender sender)
    {
        var (user, password) = TestInfrastructure.BrokerUser(sender);
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(TestInfrastructure.RabbitHost, TestInfrastructure.RabbitPort, broker.VirtualHost, host =>
            {
                host.Username(user);
                host.Password(password);
            });
            rabbit.StampSender(user);
        });
        await bus.StartAsync();
        return new TestBus(bus, sender);
    }

    /// <summary>Sends a command to a service's queue as a platform service acting for the holder of
    /// <paramref name="token"/> (none: a command with no proof of its principal).</summary>
    public async Task<Guid> SendAsync<T>(string queue, T command, string? token, Action<SendContext>? stamp = null) where T : class
    {
        var id = NewId.NextGuid();
        var endpoint = await bus.GetSendEndpoint(CommandAddress.Of(queue));
        await endpoint.Send(command, context =>
        {
            context.MessageId = id;
            if (token is not null) context.Headers.Set(PrincipalHeaders.Token, token);
            stamp?.Invoke(context);
        });
        return id;
    }

    /// <summary>Sends a command as one of our services would, with the principal it acts for in the headers.</summary>
    public Task<Guid> SendAsServiceAsync<T>(string queue, T command, Actor onBehalfOf) where T : class =>
        SendAsync(queue, command, null, context => context.SetActor(onBehalfOf));

    public Task PublishAsync<T>(T message) where T : class => bus.Publish(message);

    public async ValueTask DisposeAsync() => await bus.StopAsync();
}
