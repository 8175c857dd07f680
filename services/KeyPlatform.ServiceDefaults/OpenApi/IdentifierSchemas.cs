using KeyPlatform.ServiceDefaults.Identifiers;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// X3 in the document: a tenant id, region or environment id, whether a route parameter, a query value or a property of
/// a body (<c>environmentId</c>, <c>sourceEnvironmentId</c>, ... as <see cref="CommandIds"/> finds them), carries the
/// pattern and length limits of <see cref="PlatformIds"/>, so a client can check it before sending.
/// </summary>
public sealed class IdentifierSchemas : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is not { } type || !type.HasFlag(JsonSchemaType.String)) return Task.CompletedTask;
        var name = context.JsonPropertyInfo?.Name ?? context.ParameterDescription?.Name;
        if (Limits(name) is not var (pattern, maxLength)) return Task.CompletedTask;
        schema.Pattern = pattern;
        schema.MinLength = 1;
        schema.MaxLength = maxLength;
        return Task.CompletedTask;
    }

    private static (string Pattern, int MaxLength)? Limits(string? name) => name switch
    {
        null => null,
        _ when name.Equals("tenantId", StringComparison.OrdinalIgnoreCase) => (PlatformIds.TenantIdPattern, PlatformIds.TenantIdMaxLength),
        _ when name.Equals("region", StringComparison.OrdinalIgnoreCase) => (PlatformIds.RegionPattern, PlatformIds.RegionMaxLength),
        _ when name.EndsWith("environmentId", StringComparison.OrdinalIgnoreCase) =>
            (PlatformIds.EnvironmentIdPattern, PlatformIds.EnvironmentIdMaxLength),
        _ => null,
    };
}
