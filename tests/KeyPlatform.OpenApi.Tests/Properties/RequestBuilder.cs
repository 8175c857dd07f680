using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace KeyPlatform.OpenApi.Tests.Properties;

/// <summary>Builds a valid-looking request for a documented operation from its schemas, then applies a
/// <see cref="Mutation"/>. Nothing here knows an endpoint: everything comes from the document.</summary>
public sealed class RequestBuilder(string tenant, string environment, string region, DateTimeOffset now)
{
    public string Tenant => tenant;
    public string Environment => environment;

    public static readonly string[] PathValues =
        ["a/b", "..", "%00", "%2e%2e", "a%2Fb", "%", "x\u0000y", "\u202eevil", " europe", "Europe", new string('a', 100_000), "ü"];

    public static readonly string[] QueryValues =
        ["-1", "0", "2147483647", "2147483648", "99999999999999999999", "abc", "", "1e3", "not-a-date", "%00", "true", new string('9', 10_000)];

    public static readonly string[] BadStrings =
        ["k\u0000", "k\u202e1", "\u0007", "line\nbreak", "\ud800", "\u200b", " ", ""];

    public static readonly JsonNode?[] BoundaryNumbers =
        [int.MaxValue, int.MinValue, -1, 0, long.MaxValue, 2147483648L, 1e308, 0.5, -0.0];

    public static readonly string[] MalformedBodies = ["{", "{\"a\":", "not json", "[1,2", "\u0000", "{\"a\":1}}", "null", "[]", "\"text\""];

    public HttpRequestMessage Build(DocumentedOperation operation, RequestCase c)
    {
        var path = new StringBuilder();
        var pathParameters = operation.Parameters.Where(p => p.In == "path").ToList();
        var mutatedPath = c.Mutation == Mutation.PathValue && pathParameters.Count > 0 ? pathParameters[c.Field % pathParameters.Count].Name : null;
        foreach (var segment in operation.PathTemplate.Split('/'))
        {
            if (path.Length > 0 || segment.Length > 0) path.Append('/');
            if (segment.StartsWith('{') && segment.EndsWith('}'))
            {
                var name = segment[1..^1];
                path.Append(name == mutatedPath ? PathValues[c.Value % PathValues.Length] : Uri.EscapeDataString(PathValue(name)));
            }
            else path.Append(segment);
        }

        var query = new List<string>();
        var queryParameters = operation.Parameters.Where(p => p.In == "query").ToList();
        var mutatedQuery = c.Mutation == Mutation.QueryValue && queryParameters.Count > 0 ? queryParameters[c.Field % queryParameters.Count].Name : null;
        foreach (var parameter in queryParameters)
        {
            var value = parameter.Name == mutatedQuery ? QueryValues[c.Value % QueryValues.Length] : ScalarText(parameter.Name, parameter.Schema);
            if (value is not null) query.Add($"{Uri.EscapeDataString(parameter.Name)}={Uri.EscapeDataString(value)}");
        }

        if (query.Count > 0) path.Append('?').Append(string.Join('&', query));
        var request = new HttpRequestMessage(new HttpMethod(operation.Method.ToUpperInvariant()), path.ToString());
        request.Content = Body(operation, c);
        return request;
    }

    private string PathValue(string name) => name switch
    {
        "tenantId" => tenant,
        "region" => region,
        "environmentId" => environment,
        _ => "x1",
    };

    private HttpContent? Body(DocumentedOperation operation, RequestCase c)
    {
        var mutation = c.Mutation;
        if (operation.BodyContentType is null)
            return mutation is Mutation.MalformedJson or Mutation.OversizedBody
                ? Text(mutation == Mutation.OversizedBody ? new string('x', 2 * 1024 * 1024) : MalformedBodies[c.Value % MalformedBodies.Length], "application/json")
                : null;
        if (operation.BodyContentType.StartsWith("multipart/", StringComparison.Ordinal)) return Multipart(operation.BodySchema, c);

        var body = Sample(null, operation.BodySchema ?? new JsonObject());
        switch (mutation)
        {
            case Mutation.MalformedJson: return Text(MalformedBodies[c.Value % MalformedBodies.Length], operation.BodyContentType);
            case Mutation.EmptyBody: return Text("", operation.BodyContentType);
            case Mutation.OversizedBody: return Text($"{{\"x\":\"{new string('a', 2 * 1024 * 1024)}\"}}", operation.BodyContentType);
            case Mutation.WrongContentType:
                return Text(body?.ToJsonString() ?? "{}", (c.Value % 3) switch { 0 => "text/plain", 1 => "application/xml", _ => "application/x-www-form-urlencoded" });
        }

        if (body is JsonObject fields) Mutate(fields, operation.BodySchema, c);
        return Text(body?.ToJsonString() ?? "null", operation.BodyContentType);
    }

    private static void Mutate(JsonObject fields, JsonObject? schema, RequestCase c)
    {
        var names = fields.Select(f => f.Key).ToList();
        var name = names.Count > 0 ? names[c.Field % names.Count] : "value";
        switch (c.Mutation)
        {
            case Mutation.WrongType:
                fields[name] = fields[name] switch
                {
                    JsonValue v when v.TryGetValue<string>(out _) => c.Value % 2 == 0 ? JsonValue.Create(12345) : new JsonArray(),
                    JsonValue v when v.TryGetValue<bool>(out _) => JsonValue.Create("yes"),
                    JsonValue => c.Value % 2 == 0 ? JsonValue.Create("many") : new JsonObject(),
                    _ => JsonValue.Create("x"),
                };
                break;
            case Mutation.MissingField:
                if (c.Value % 2 == 0) fields.Remove(name);
                else fields.Clear();
                break;
            case Mutation.ExtraField:
                fields[c.Value % 2 == 0 ? "unexpected" : "__proto__"] = JsonValue.Create("x");
                break;
            case Mutation.HugeString:
                fields[name] = new string('a', c.Value % 2 == 0 ? 100_000 : 1_000);
                break;
            case Mutation.ControlCharacters:
                fields[name] = BadStrings[c.Value % BadStrings.Length];
                break;
            case Mutation.BoundaryNumber:
                var numeric = names.Where(n => IsNumber(schema?["properties"]?[n])).ToList();
                fields[numeric.Count > 0 ? numeric[c.Field % numeric.Count] : name] = BoundaryNumbers[c.Value % BoundaryNumbers.Length]?.DeepClone();
                break;
        }
    }

    private HttpContent Multipart(JsonObject? schema, RequestCase c)
    {
        if (c.Mutation == Mutation.WrongContentType) return Text("{\"name\":\"k1\"}", "application/json");
        if (c.Mutation == Mutation.EmptyBody) return Text("", "multipart/form-data; boundary=x");
        if (c.Mutation == Mutation.MalformedJson) return Text("--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nk1", "multipart/form-data; boundary=x");
        var form = new MultipartFormDataContent();
        var properties = schema?["properties"]?.AsObject().Select(p => (p.Key, Schema: p.Value!.AsObject())).ToList() ?? [];
        var mutated = properties.Count > 0 ? properties[c.Field % properties.Count].Key : null;
        foreach (var (name, property) in properties)
        {
            if (name == mutated && c.Mutation == Mutation.MissingField) continue;
            if (property["format"]?.GetValue<string>() == "binary")
            {
                var size = c.Mutation == Mutation.OversizedBody ? 2 * 1024 * 1024 : name == mutated && c.Mutation == Mutation.HugeString ? 300_000 : 2048;
                form.Add(new ByteArrayContent(new byte[size]), name, "key.pfx");
                continue;
            }

            var value = name != mutated ? ScalarText(name, property) : c.Mutation switch
            {
                Mutation.WrongType or Mutation.BoundaryNumber => QueryValues[c.Value % QueryValues.Length],
                Mutation.HugeString => new string('a', 100_000),
                Mutation.ControlCharacters => BadStrings[c.Value % BadStrings.Length],
                _ => ScalarText(name, property),
            };
            form.Add(new StringContent(value ?? ""), name);
        }

        if (c.Mutation == Mutation.ExtraField) form.Add(new StringContent("x"), "unexpected");
        return form;
    }

    private static StringContent Text(string text, string contentType)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static bool IsNumber(JsonNode? schema) =>
        schema?["type"]?.GetValue<string>() is "integer" or "number"
        || (schema?["anyOf"]?.AsArray().Any(s => s?["type"]?.GetValue<string>() is "integer" or "number") ?? false);

    /// <summary>A plausible value for a schema: ids of this run by name, the first enum value, the minimum, now.</summary>
    private JsonNode? Sample(string? name, JsonObject schema)
    {
        if (schema["enum"] is JsonArray { Count: > 0 } values) return values[0]!.DeepClone();
        var type = schema["type"]?.GetValue<string>() ?? (IsNumber(schema) ? "integer" : null);
        switch (type)
        {
            case "object" or null when schema["properties"] is JsonObject properties:
                var result = new JsonObject();
                foreach (var (property, propertySchema) in properties)
                    result[property] = Sample(property, propertySchema!.AsObject());
                return result;
            case "array": return new JsonArray();
            case "boolean": return true;
            case "integer" or "number":
                return name is not null && name.Contains("licence", StringComparison.OrdinalIgnoreCase)
                    ? 1500
                    : schema["minimum"]?.DeepClone() ?? 1;
            case "string": return ScalarText(name, schema);
            default: return type is null ? null : "x";
        }
    }

    private string? ScalarText(string? name, JsonObject schema)
    {
        if (schema["enum"] is JsonArray { Count: > 0 } values) return values[0]!.ToString();
        if (name is "tenantId") return tenant;
        if (name is "region") return region;
        if (name is not null && name.EndsWith("nvironmentId", StringComparison.Ordinal)) return environment;
        if (name is "acknowledgeRisk") return "true";
        var type = schema["type"]?.GetValue<string>() ?? (IsNumber(schema) ? "integer" : "string");
        return (type, schema["format"]?.GetValue<string>()) switch
        {
            ("boolean", _) => "true",
            ("integer" or "number", _) => (schema["minimum"]?.ToString() ?? "1"),
            ("string", "date-time") => now.ToString("O", CultureInfo.InvariantCulture),
            ("string", "date") => now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ("string", "uuid") => Guid.NewGuid().ToString(),
            ("string", _) => name is "version" ? "9.2.24000.00100" : "k1",
            _ => null,
        };
    }
}
