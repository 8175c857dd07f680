using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyPlatform.Testing;

/// <summary>The RabbitMQ management API, for what a test needs: its own virtual host (so test hosts never see each
/// other's messages) and a look into a queue (the error queue).</summary>
public sealed class RabbitManagement : IDisposable
{
    private readonly HttpClient http;

    public RabbitManagement()
    {
        http = new HttpClient { BaseAddress = new Uri($"http://{TestInfrastructure.RabbitHost}:{TestInfrastructure.RabbitManagementPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestInfrastructure.RabbitUser}:{TestInfrastructure.RabbitPassword}")));
    }

    public async Task CreateVirtualHostAsync(string vhost)
    {
        (await http.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/{TestInfrastructure.RabbitUser}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
    }

    public async Task DeleteVirtualHostAsync(string vhost) =>
        await http.DeleteAsync($"vhosts/{Uri.EscapeDataString(vhost)}");

    public sealed record QueuedMessage(
        [property: JsonPropertyName("payload")] string Payload,
        [property: JsonPropertyName("properties")] JsonElement Properties)
    {
        public string? Header(string name) =>
            Properties.TryGetProperty("headers", out var headers) && headers.TryGetProperty(name, out var value)
                ? value.ToString() : null;
    }

    /// <summary>Reads (and requeues) up to <paramref name="count"/> messages of a queue; empty when it has none or
    /// does not exist.</summary>
    public async Task<IReadOnlyList<QueuedMessage>> PeekAsync(string vhost, string queue, int count = 50)
    {
        var response = await http.PostAsJsonAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_true", encoding = "auto" });
        if (!response.IsSuccessStatusCode) return [];
        return await response.Content.ReadFromJsonAsync<List<QueuedMessage>>() ?? [];
    }

    public void Dispose() => http.Dispose();
}
