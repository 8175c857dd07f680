using System.Text.Json.Nodes;

namespace KeyPlatform.OpenApi.Tests.Properties;

/// <summary>One operation of a served OpenAPI document, as much of it as a request can be built from.</summary>
public sealed record DocumentedOperation(
    string Method,
    string PathTemplate,
    IReadOnlyList<DocumentedParameter> Parameters,
    string? BodyContentType,
    JsonObject? BodySchema,
    bool Anonymous)
{
    public override string ToString() => $"{Method.ToUpperInvariant()} {PathTemplate}";

    /// <summary>Every operation of the document, with <c>$ref</c>s of body and parameter schemas resolved.</summary>
    public static IReadOnlyList<DocumentedOperation> AllOf(JsonObject document) =>
        OpenApiDocumentTests.Operations(document).Select(o =>
        {
            var parameters = (o.Operation["parameters"]?.AsArray() ?? [])
                .Select(p => new DocumentedParameter(p!["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(),
                    Resolve(document, p["schema"]) ?? new JsonObject()))
                .ToList();
            var content = o.Operation["requestBody"]?["content"]?.AsObject();
            var body = content?.OrderBy(c => c.Key.Contains("json", StringComparison.Ordinal) ? 0 : 1).FirstOrDefault();
            return new DocumentedOperation(o.Method, o.Path, parameters, body?.Key,
                body is { } b ? Resolve(document, b.Value?["schema"]) : null, o.Operation["security"] is null);
        }).ToList();

    public static JsonObject? Resolve(JsonObject document, JsonNode? schema) => schema is null
        ? null
        : (schema["$ref"]?.GetValue<string>() is { } reference
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema).AsObject();
}

public sealed record DocumentedParameter(string Name, string In, JsonObject Schema);
