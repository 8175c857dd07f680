using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyPlatform.Testing;

/// <summary>The RabbitMQ management API, for what a test needs: its own virtual host (so test hosts never see each
/// other's messages), a look into a queue (the error queue), and an outage of a virtual host.</summary>
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

    /// <summary>Declares the command queues and gives the broker users their permissions on the virtual host, from the
    /// files of <c>deploy/rabbitmq/</c>, as the scripts do for the real one (the users themselves are created by
    /// <c>scripts/infra.sh up</c>).</summary>
    public async Task GrantBrokerUsersAsync(string vhost)
    {
        var v = Uri.EscapeDataString(vhost);
        foreach (var queue in DeployFile("command-queues.txt"))
        {
            (await http.PutAsJsonAsync($"queues/{v}/{queue}", new { durable = true, auto_delete = false, arguments = new { } })).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"exchanges/{v}/{queue}", new { type = "fanout", durable = true, auto_delete = false, arguments = new { } }))
                .EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync($"bindings/{v}/e/{queue}/q/{queue}", new { routing_key = "", arguments = new { } })).EnsureSuccessStatusCode();
        }
        var rows = DeployFile("broker-users.tsv").Select(line => line.Split('\t'));
        foreach (var row in rows)
            (await http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(row[0])}",
                new { configure = row[1], write = row[2], read = row[3] })).EnsureSuccessStatusCode();
    }

    /// <summary>The rows of a file of <c>deploy/rabbitmq/</c>, without comments and blank lines.</summary>
    private static IEnumerable<string> DeployFile(string name) =>
        File.ReadAllLines(Path.Combine(TestInfrastructure.RepositoryRoot(), "deploy", "rabbitmq", name))
            .Where(line => line.Length > 0 && !line.StartsWith('#'));

    /// <summary>Publishes a message through the management API as the admin user, the way an intruder with the
    /// scripts' credentials would: raw JSON, any headers, no <c>user_id</c> unless given.</summary>
    public async Task<bool> PublishAsync(string vhost, string exchange, string payload, IDictionary<string, object> headers,
        string? userId = null)
    {
        var properties = new Dictionary<string, object> { ["headers"] = headers, ["content_type"] = "application/vnd.masstransit+json" };
        if (userId is not null) properties["user_id"] = userId;
        var response = await http.PostAsJsonAsync($"exchanges/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(exchange)}/publish",
            new { properties, routing_key = "", payload, payload_encoding = "string" });
        return response.IsSuccessStatusCode;
    }

    /// <summary>A broker outage for one virtual host: no connection is allowed into it and those open are closed, so
    /// every client of it loses the broker until <see cref="AdmitConnectionsAsync"/>. Call it with a client connected.</summary>
    public async Task RefuseConnectionsAsync(string vhost)
    {
        var v = Uri.EscapeDataString(vhost);
        (await http.PutAsJsonAsync($"vhost-limits/{v}/max-connections", new { value = 0 })).EnsureSuccessStatusCode();
        // The caller has a client connected; the management API may list a new connection only a moment later.
        var connections = await Eventually.GetAsync(async () =>
            await http.GetFromJsonAsync<List<JsonElement>>($"vhosts/{v}/connections") is { Count: > 0 } open ? open : null,
            $"the connections into {vhost} to be listed");
        foreach (var connection in connections)
            await http.DeleteAsync($"connections/{Uri.EscapeDataString(connection.GetProperty("name").GetString()!)}");
        await Eventually.TrueAsync(async () => await http.GetFromJsonAsync<List<JsonElement>>($"vhosts/{v}/connections") is not { Count: > 0 },
            $"no connection left into {vhost}");
    }

    /// <summary>Ends the outage of <see cref="RefuseConnectionsAsync"/>.</summary>
    public async Task AdmitConnectionsAsync(string vhost) =>
        (await http.DeleteAsync($"vhost-limits/{Uri.EscapeDataString(vhost)}/max-connections")).EnsureSuccessStatusCode();

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
