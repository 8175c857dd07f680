using System.Text.Json.Nodes;
using KeyPlatform.KeyService.Tenants;
using KeyPlatform.ServiceDefaults.Identifiers;

namespace KeyPlatform.OpenApi.Tests;

/// <summary>What a client generator needs from each service's served document (issue 10): the bearer scheme on
/// every operation that needs a token, ProblemDetails answers, and the X3 limits of ids.</summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenApiDocumentTests(PlatformServices platform)
{
    public static TheoryData<string> Services => new(PlatformServices.Names);

    [Theory]
    [MemberData(nameof(Services))]
    [Trait("Rule", "X1")]
    public async Task Every_operation_but_the_anonymous_ones_requires_the_bearer_scheme(string service)
    {
        var document = await platform.ServedDocumentNodeAsync(service);

        var scheme = document["components"]!["securitySchemes"]!["Bearer"]!;
        scheme["type"]!.GetValue<string>().ShouldBe("http");
        scheme["scheme"]!.GetValue<string>().ShouldBe("bearer");
        scheme["bearerFormat"]!.GetValue<string>().ShouldBe("JWT");
        var operations = Operations(document).ToList();
        operations.Count.ShouldBeGreaterThan(1);
        foreach (var (path, method, operation) in operations)
        {
            var schemes = (operation["security"]?.AsArray() ?? []).SelectMany(r => r!.AsObject().Select(p => p.Key)).ToList();
            if (path == "/")
                schemes.ShouldBeEmpty($"{method} {path} is anonymous");
            else
                schemes.ShouldContain("Bearer", $"{method} {path} needs a token");
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    [Trait("Rule", "X1")]
    public async Task Every_operation_lists_its_ProblemDetails_answers(string service)
    {
        var document = await platform.ServedDocumentNodeAsync(service);

        var problem = document["components"]!["schemas"]!["ProblemDetails"]!;
        problem["properties"]!["rule"]!["type"]!.GetValue<string>().ShouldBe("string");
        problem["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("rule");
        foreach (var (path, method, operation) in Operations(document).Where(o => o.Path != "/"))
        {
            var expected = new List<string> { "401", "403" };
            if (operation["parameters"] is JsonArray { Count: > 0 } || operation["requestBody"] is not null) expected.Add("400");
            if (path.Contains('{', StringComparison.Ordinal)) expected.Add("404");
            if (method != "get") expected.Add("409");
            foreach (var status in expected)
            {
                var response = operation["responses"]?[status];
                response.ShouldNotBeNull($"{method} {path} lists no {status}");
                (response["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>())
                    .ShouldBe("#/components/schemas/ProblemDetails", $"{method} {path} {status} is not a ProblemDetails");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    [Trait("Rule", "X3")]
    public async Task Id_parameters_carry_the_canonical_pattern_and_length_X3(string service)
    {
        var document = await platform.ServedDocumentNodeAsync(service);

        var limits = new Dictionary<string, (string Pattern, int MaxLength)>
        {
            ["tenantId"] = (PlatformIds.TenantIdPattern, PlatformIds.TenantIdMaxLength),
            ["region"] = (PlatformIds.RegionPattern, PlatformIds.RegionMaxLength),
            ["environmentId"] = (PlatformIds.EnvironmentIdPattern, PlatformIds.EnvironmentIdMaxLength),
        };
        var checkedIds = 0;
        foreach (var (path, method, operation) in Operations(document))
        foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
        {
            var name = parameter!["name"]!.GetValue<string>();
            if (!limits.TryGetValue(name, out var limit)) continue;
            var schema = parameter["schema"]!;
            (schema["pattern"]?.GetValue<string>()).ShouldBe(limit.Pattern, $"{method} {path} {name}");
            (schema["maxLength"]?.GetValue<int>()).ShouldBe(limit.MaxLength, $"{method} {path} {name}");
            (schema["minLength"]?.GetValue<int>()).ShouldBe(1, $"{method} {path} {name}");
            checkedIds++;
        }

        checkedIds.ShouldBeGreaterThan(0);
    }

    [Fact]
    [Trait("Rule", "X3")]
    public async Task Environment_ids_in_a_request_body_carry_the_canonical_pattern_X3()
    {
        var document = await platform.ServedDocumentNodeAsync("environment-encryption");

        var register = document["paths"]!["/v1/tenants/{tenantId}/environments"]!["post"]!;
        var schema = Resolve(document, register["requestBody"]!["content"]!["application/json"]!["schema"]!);
        var environmentId = schema["properties"]!["environmentId"]!;
        environmentId["pattern"]!.GetValue<string>().ShouldBe(PlatformIds.EnvironmentIdPattern);
        environmentId["maxLength"]!.GetValue<int>().ShouldBe(PlatformIds.EnvironmentIdMaxLength);
        var region = schema["properties"]!["region"]!;
        region["pattern"]!.GetValue<string>().ShouldBe(PlatformIds.RegionPattern);
    }

    [Fact]
    [Trait("Rule", "T1")]
    public async Task Licence_counts_are_described_as_integers_a_client_can_send_T1()
    {
        var document = await platform.ServedDocumentNodeAsync("key-service");

        var enable = document["paths"]!["/v1/tenants/{tenantId}/enablement"]!["put"]!;
        var schema = Resolve(document, enable["requestBody"]!["content"]!["application/json"]!["schema"]!);
        foreach (var field in new[] { "appPerUserLicences", "enterpriseLicences" })
        {
            var property = schema["properties"]![field]!;
            (property["type"]?.GetValue<string>()).ShouldBe("integer", field);
            property["anyOf"].ShouldBeNull(field);
        }
    }

    [Fact]
    [Trait("Rule", "T1")]
    public async Task Licence_counts_publish_the_range_validation_enforces_T1()
    {
        var document = await platform.ServedDocumentNodeAsync("key-service");

        var enable = document["paths"]!["/v1/tenants/{tenantId}/enablement"]!["put"]!;
        var schema = Resolve(document, enable["requestBody"]!["content"]!["application/json"]!["schema"]!);
        foreach (var field in new[] { "appPerUserLicences", "enterpriseLicences" })
        {
            schema["properties"]![field]!["minimum"]!.GetValue<long>().ShouldBe(0, field);
            schema["properties"]![field]!["maximum"]!.GetValue<long>().ShouldBe(TenantEnablementDecider.MaxLicences, field);
        }
    }

    /// <summary>Issue 10: "no string has a length limit". Every text a client sends in a body (JSON or form), other than
    /// a file, an enum or a date, says how long it may be, so a generated client can check before sending.</summary>
    [Theory]
    [MemberData(nameof(Services))]
    [Trait("Rule", "X1")]
    public async Task Every_text_field_of_every_request_body_publishes_its_length_limit_X1(string service)
    {
        var document = await platform.ServedDocumentNodeAsync(service);
        var unbounded = new List<string>();

        foreach (var (path, method, operation) in Operations(document))
        foreach (var (mediaType, content) in operation["requestBody"]?["content"]?.AsObject() ?? [])
        {
            var body = Resolve(document, content!["schema"]!);
            foreach (var (name, property) in body["properties"]?.AsObject() ?? [])
            {
                var field = Resolve(document, property!);
                if (field["type"]?.GetValue<string>() != "string" || field["enum"] is not null
                    || field["format"]?.GetValue<string>() is "binary" or "date-time")
                    continue;
                if (field["maxLength"] is null) unbounded.Add($"{method.ToUpperInvariant()} {path} ({mediaType}) {name}");
            }
        }

        unbounded.ShouldBeEmpty();
    }

    public static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(m => m.Key is "get" or "put" or "post" or "delete" or "patch")
            .Select(m => (path.Key, m.Key, m.Value!.AsObject())));

    public static JsonNode Resolve(JsonObject document, JsonNode schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!
            : schema;
}
