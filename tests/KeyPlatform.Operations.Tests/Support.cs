using System.Net;
using System.Net.Http.Json;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Operations.Tests;

public sealed record Problem(int Status, string? Detail, string? Rule);

public static class Http
{
    public static string Escaped(string streamKey) => Uri.EscapeDataString(streamKey);

    public static async Task<T> OkAsync<T>(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<T>(OperationsFixture.Json))!;
    }

    public static async Task<Problem> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        response.StatusCode.ShouldBe(status, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return (await response.Content.ReadFromJsonAsync<Problem>(OperationsFixture.Json))!;
    }

    public static Task<Page<StreamEventView>> EventsAsync(this HttpClient client, string streamKey, string query = "") =>
        client.OkAsync<Page<StreamEventView>>($"/v1/operator/streams/{Escaped(streamKey)}/events{query}");
}
