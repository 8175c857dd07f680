using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EnvironmentEncryption.IntegrationTests.Support;

public sealed record Problem(string? Type, string? Title, int Status, string? Detail, string? Rule, DateTimeOffset? AllowedAt);

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new ShouldAssertException($"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Options)!;
    }

    public static async Task<Problem> ProblemAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeFalse($"expected a refusal, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<Problem>(body, Options)!;
    }

    public static async Task ShouldBeRefusedByAsync(this Task<HttpResponseMessage> call, string rule, string? reason = null)
    {
        var problem = await (await call).ProblemAsync();
        problem.Rule.ShouldBe(rule, problem.Detail);
        if (reason is not null) problem.Detail!.ShouldContain(reason, Case.Insensitive);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, Options);
}
