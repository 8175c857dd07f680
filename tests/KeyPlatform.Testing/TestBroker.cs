using Xunit;

namespace KeyPlatform.Testing;

/// <summary>A RabbitMQ virtual host of its own for one test class, deleted afterwards, and a unique suffix for
/// the schemas of the hosts that use it.</summary>
public sealed class TestBroker : IAsyncLifetime
{
    public string Suffix { get; } = TestInfrastructure.UniqueSuffix();
    public string VirtualHost => $"test-{Suffix}";
    public RabbitManagement Management { get; } = new();

    public string Schema(string service) => $"{service}_{Suffix}";

    public Task InitializeAsync() => Management.CreateVirtualHostAsync(VirtualHost);

    public async Task DisposeAsync()
    {
        await Management.DeleteVirtualHostAsync(VirtualHost);
        Management.Dispose();
    }
}
