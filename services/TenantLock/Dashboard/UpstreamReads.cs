using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace KeyPlatform.TenantLock.Dashboard;

/// <summary>Configuration section <c>Services</c>: where the dashboard reads the other services' projections.</summary>
public sealed class DashboardServicesOptions
{
    public const string Section = "Services";

    public Uri KeyService { get; set; } = new("http://127.0.0.1:5101");
    public Uri EnvironmentEncryption { get; set; } = new("http://127.0.0.1:5102");

    /// <summary>How long one panel waits for its service before it shows the service as unavailable.</summary>
    public TimeSpan PanelTimeout { get; set; } = TimeSpan.FromSeconds(4);
}

/// <summary>Reads KeyService's key inventory and EnvironmentEncryption's environment status with the caller's own
/// bearer token (each service checks the caller itself), and turns every failure into a panel message.</summary>
public sealed class UpstreamReads(IHttpClientFactory clients, DashboardServicesOptions options, ILogger<UpstreamReads> logger)
{
    public const string KeyServiceClient = "dashboard-key-service";
    public const string EnvironmentEncryptionClient = "dashboard-environment-encryption";
    private const string KeyServiceName = "KeyService";
    private const string EnvironmentServiceName = "EnvironmentEncryption";
    private const int EnvironmentPageSize = KeyPlatform.ServiceDefaults.Commands.Paging.MaxPageSize;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<Panel<IReadOnlyList<KeyRegionView>>> KeyInventoryAsync(string tenantId, string? authorization, CancellationToken cancellationToken) =>
        GetAsync<List<KeyRegionView>, IReadOnlyList<KeyRegionView>>(KeyServiceClient, KeyServiceName,
            $"/v1/tenants/{Uri.EscapeDataString(tenantId)}/keys", authorization, regions => regions, cancellationToken);

    public Task<Panel<EnvironmentsView>> EnvironmentsAsync(string tenantId, string? authorization, CancellationToken cancellationToken) =>
        GetAsync<EnvironmentPageWire, EnvironmentsView>(EnvironmentEncryptionClient, EnvironmentServiceName,
            $"/v1/tenants/{Uri.EscapeDataString(tenantId)}/environments?pageSize={EnvironmentPageSize}", authorization,
            page => new EnvironmentsView(page.Total, page.Environments ?? [], page.Rewraps ?? []), cancellationToken);

    private async Task<Panel<TOut>> GetAsync<TWire, TOut>(string clientName, string service, string path, string? authorization,
        Func<TWire, TOut> map, CancellationToken cancellationToken) where TOut : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PanelTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (!string.IsNullOrEmpty(authorization)) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await clients.CreateClient(clientName).SendAsync(request, timeout.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                return Panel<TOut>.Failed(PanelStatus.Forbidden,
                    $"{service} refused this token: {await DetailOfAsync(response, timeout.Token) ?? response.ReasonPhrase}");
            if (!response.IsSuccessStatusCode)
                return Panel<TOut>.Failed(PanelStatus.Error,
                    $"{service} answered {(int)response.StatusCode} {response.ReasonPhrase}: {await DetailOfAsync(response, timeout.Token)}");
            var wire = await response.Content.ReadFromJsonAsync<TWire>(Json, timeout.Token);
            return wire is null
                ? Panel<TOut>.Failed(PanelStatus.Error, $"{service} answered with an empty body.")
                : Panel<TOut>.Ok(map(wire));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the browser went away: nothing to answer
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "Dashboard: {Service} answered {Path} in an unexpected shape", service, path);
            return Panel<TOut>.Failed(PanelStatus.Error, $"{service} answered in a shape this dashboard does not understand.");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or Polly.ExecutionRejectedException)
        {
            logger.LogInformation("Dashboard: {Service} did not answer {Path}: {Error}", service, path, e.Message);
            return Panel<TOut>.Failed(PanelStatus.Unavailable,
                $"{service} is not answering; this panel will fill in again when it is back.");
        }
    }

    private static async Task<string?> DetailOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
            return problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var detail) ? detail.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private sealed record EnvironmentPageWire(long Total, List<EnvironmentView>? Environments, List<RewrapView>? Rewraps);
}
