using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyPlatform.Cli.Tokens;

namespace KeyPlatform.Cli.Operator;

/// <summary>HTTP to one service with an operator token from <see cref="TokenSource"/> (<c>KP_TOKEN</c>, the identity
/// provider, or in Development a development token). Turns what can go wrong into exit codes.</summary>
public sealed class OperatorClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a terminal, not a web page: keep '+' and quotes readable
    };

    private readonly HttpClient http;
    private readonly TokenSource tokens;
    private string? token;

    public OperatorClient(CliEnvironment environment, ServiceEndpoint service)
    {
        Service = service;
        http = environment.HttpClientFactory(service.Url);
        tokens = new TokenSource(environment);
    }

    public ServiceEndpoint Service { get; }

    public Task<JsonElement> GetAsync(string pathAndQuery, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, pathAndQuery, cancellationToken);

    public Task<JsonElement> PostAsync(string pathAndQuery, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, pathAndQuery, cancellationToken);

    public async Task<T> GetAsync<T>(string pathAndQuery, CancellationToken cancellationToken) =>
        (await GetAsync(pathAndQuery, cancellationToken)).Deserialize<T>(Json)
        ?? throw new CliFailure(ExitCodes.Refused, $"{Service} answered {pathAndQuery} with nothing.");

    public async Task<T> PostAsync<T>(string pathAndQuery, CancellationToken cancellationToken) =>
        (await PostAsync(pathAndQuery, cancellationToken)).Deserialize<T>(Json)
        ?? throw new CliFailure(ExitCodes.Refused, $"{Service} answered {pathAndQuery} with nothing.");

    private async Task<JsonElement> SendAsync(HttpMethod method, string pathAndQuery, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(Service.Url, pathAndQuery));
        token ??= await tokens.OperatorTokenAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw Unreachable(e.InnerException is SocketException socket ? socket.Message : e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
                return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
            throw Refusal(response.StatusCode, body);
        }
    }

    private CliFailure Unreachable(string reason) =>
        new(ExitCodes.Unreachable, $"cannot reach {Service.Name} at {Service.Url}: {reason}");

    private CliFailure Refusal(HttpStatusCode status, string body)
    {
        var detail = ProblemDetail(body);
        return status switch
        {
            HttpStatusCode.BadRequest => new CliFailure(ExitCodes.BadInput, detail ?? $"{Service} refused the request as invalid.", status, detail),
            HttpStatusCode.Unauthorized => new CliFailure(ExitCodes.Refused,
                $"{Service} refused the token (401): set Auth__Authority and Auth__ClientId (and Auth__ClientSecret) for the identity provider, or KP_TOKEN to a valid token.",
                status, detail),
            _ => new CliFailure(ExitCodes.Refused, $"{Service}: {detail ?? $"{(int)status} {status}"}", status, detail),
        };
    }

    private static string? ProblemDetail(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                ? detail.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => http.Dispose();
}
