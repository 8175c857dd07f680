using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// A number is described as a number. ASP.NET Core's JSON defaults also read numbers written as strings, and the
/// schema says so (type integer or string, with a digits pattern; <c>anyOf</c> in OpenAPI 3.0), which generators turn
/// into a class per property instead of an <c>int</c>. The string form is a tolerance of the server, not the contract
/// a client is generated from.
/// </summary>
public sealed class NumberSchemas : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is not { } type || !type.HasFlag(JsonSchemaType.String)
            || !(type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
            return Task.CompletedTask;
        schema.Type = type & ~JsonSchemaType.String;
        schema.Pattern = null;
        return Task.CompletedTask;
    }
}
