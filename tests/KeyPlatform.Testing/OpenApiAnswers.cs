using System.Text.Json;

namespace KeyPlatform.Testing;

/// <summary>Reads a served OpenAPI document for what each operation says it answers on success.</summary>
public static class OpenApiAnswers
{
    /// <summary>The operations ("get /path") whose success answers tell a client nothing: no 2xx at all, or a 200 with
    /// no content, which is what ASP.NET Core infers for a handler that returns <c>IResult</c> without <c>Produces</c>.
    /// The service's root ("/"), anonymous and outside the API, is left out.</summary>
    public static IReadOnlyList<string> WithoutSuccessAnswer(JsonElement document) =>
        (from path in document.GetProperty("paths").EnumerateObject()
            where path.Name != "/"
            from operation in path.Value.EnumerateObject()
            let successes = operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList()
            where successes.Count == 0 || successes.Any(r => r.Name == "200" && !r.Value.TryGetProperty("content", out _))
            select $"{operation.Name} {path.Name}").ToList();

    /// <summary>The schema an operation's success answer declares for <paramref name="mediaType"/>.</summary>
    public static JsonElement SuccessSchema(JsonElement document, string path, string method, string status = "200",
        string mediaType = "application/json") =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty(status)
            .GetProperty("content").GetProperty(mediaType).GetProperty("schema");

    /// <summary>The component schema a <c>$ref</c> names, or the schema itself when it is inline.</summary>
    public static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    /// <summary>A query parameter's schema.</summary>
    public static JsonElement QueryParameter(JsonElement document, string path, string method, string name) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("in").GetString() == "query" && p.GetProperty("name").GetString() == name).GetProperty("schema");
}
