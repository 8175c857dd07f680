using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>The one ProblemDetails schema of every error answer: RFC 9457 fields, the <c>rule</c> that refused the
/// request (a SPEC.md rule id, <c>VALIDATION</c>, <c>AUTHZ</c>, ...) and, for a waiting period, <c>allowedAt</c>.
/// When an endpoint's own metadata already made the schema, the two fields are added to it.</summary>
public sealed class ProblemDetailsSchema : IOpenApiDocumentTransformer
{
    public const string Name = "ProblemDetails";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.TryGetValue(Name, out var existing) || existing is not OpenApiSchema schema)
        {
            schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                    ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            };
            document.Components.Schemas[Name] = schema;
        }

        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["rule"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The rule that refused the request: a rule id of SPEC.md, or VALIDATION, AUTHZ, NOT_FOUND, RATE_LIMIT, TLS_REQUIRED.",
            Examples = [JsonValue.Create("K9")],
        };
        schema.Properties["allowedAt"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Format = "date-time",
            Description = "For a waiting period: when the action becomes allowed (also in Retry-After).",
        };
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "For VALIDATION: the fields that are not valid (their JSON names), each with what is wrong.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        schema.Required ??= new HashSet<string>();
        schema.Required.Add("rule");
        schema.AdditionalPropertiesAllowed = true;
        return Task.CompletedTask;
    }
}
