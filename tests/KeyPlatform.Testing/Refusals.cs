using System.Net;
using System.Text.Json;
using Shouldly;

namespace KeyPlatform.Testing;

/// <summary>X1: what every refusal looks like to a client, a ProblemDetails with its status and the rule that refused.</summary>
public static class Refusals
{
    public static async Task<JsonElement> ShouldBeRefusedAsync(this HttpResponseMessage response, HttpStatusCode status, string rule)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
        var problem = JsonDocument.Parse(body).RootElement;
        problem.GetProperty("rule").GetString().ShouldBe(rule, body);
        return problem;
    }
}
