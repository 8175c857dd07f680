using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace KeyPlatform.Authorization.Tests;

/// <summary>A request for an endpoint that reaches its authorisation check and, when let through, changes nothing:
/// route values name <see cref="Caller.OwnTenant"/> (never enabled, so every command is refused by a rule) and
/// <see cref="Caller.OwnEnvironment"/> (never registered); a JSON body is a well-formed instance of the endpoint's
/// request type; any other POST or PUT carries a well-formed multipart key form.</summary>
public static class HttpSamples
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static readonly Dictionary<string, string> RouteValues = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tenantId"] = Caller.OwnTenant,
        ["environmentId"] = Caller.OwnEnvironment,
        ["region"] = PlatformHosts.Region,
    };

    public static string Path(RouteEndpoint endpoint)
    {
        var segments = endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter =>
                RouteValues.GetValueOrDefault(parameter.Name, $"authz-{parameter.Name.ToLowerInvariant()}"),
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        })));
        return "/" + string.Join('/', segments);
    }

    public static HttpRequestMessage Request(RouteEndpoint endpoint, string method)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), Path(endpoint));
        if (method is not ("POST" or "PUT" or "PATCH")) return request;
        var json = endpoint.Metadata.OfType<IAcceptsMetadata>()
            .FirstOrDefault(a => a.ContentTypes.Any(c => c.Contains("json", StringComparison.OrdinalIgnoreCase)) && a.RequestType is not null);
        var raw = endpoint.Metadata.OfType<IAcceptsMetadata>().SelectMany(a => a.ContentTypes)
            .FirstOrDefault(c => !c.Contains("json", StringComparison.OrdinalIgnoreCase) && !c.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)
                                 && !c.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase));
        request.Content = json is not null ? JsonBody(json.RequestType!) : raw is not null ? RawBody(raw) : KeyForm();
        return request;
    }

    /// <summary>A body the endpoint reads as it comes (a record's content), in the content type it accepts.</summary>
    private static ByteArrayContent RawBody(string contentType) =>
        new("an authorisation sample"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue(contentType) } };

    /// <summary>A registration of <paramref name="environmentId"/> in the test region.</summary>
    public static object Registration(string environmentId) => new
    {
        environmentId,
        region = PlatformHosts.Region,
        name = "Authorisation sample",
        type = "Production",
        storage = "SingleStore",
        version = "9.2",
        createdAt = "2026-01-05T09:00:00Z",
    };

    private static HttpContent JsonBody(Type requestType)
    {
        var body = requestType.Name == "RegisterRequest"
            ? Registration(PlatformHosts.TakenEnvironment)
            : SampleOf(requestType);
        return new StringContent(JsonSerializer.Serialize(body, Json), new MediaTypeHeaderValue("application/json"));
    }

    /// <summary>Licence counts far below T1's threshold, ids of nothing that exists, risk acknowledged, and a
    /// password and its confirmation that match.</summary>
    private static Dictionary<string, object?> SampleOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead)
            .ToDictionary(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name), p => SampleValue(p.Name, p.PropertyType));

    private static object? SampleValue(string name, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            return name.Contains("Password", StringComparison.Ordinal) ? "an authorisation sample password"
                : name.EndsWith("EnvironmentId", StringComparison.Ordinal) ? Caller.OwnEnvironment
                : $"authz-{name.ToLowerInvariant()}";
        if (type == typeof(bool)) return true;
        if (type == typeof(int) || type == typeof(long)) return 1;
        if (type.IsEnum) return Enum.GetNames(type)[0];
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return "2026-01-05T09:00:00Z";
        if (type.IsArray) return Array.Empty<object>();
        return null;
    }

    /// <summary>The fields of the key forms (upload, lock, unlock): a file that is no key, with its password.</summary>
    private static MultipartFormDataContent KeyForm()
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("authz-sample"), "name" },
            { new StringContent("an authorisation sample password"), "password" },
            { new StringContent("true"), "acknowledgeRisk" },
            { new StringContent("authz-sample"), "confirmationText" },
        };
        var file = new ByteArrayContent("not a key file"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-pkcs12");
        form.Add(file, "file", "sample.pfx");
        return form;
    }
}
