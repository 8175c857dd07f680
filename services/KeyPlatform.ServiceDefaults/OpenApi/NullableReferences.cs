using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// A nullable property of a named type (an enum such as <c>EnvironmentType?</c>) is described by a reference to that
/// type. ASP.NET Core writes it as <c>oneOf [null, $ref]</c>, which generators turn into an empty class of the
/// property's name instead of the enum. A client leaves such a property out rather than sending null.
/// The enum itself, written without a type and with <c>null</c> among its values, is described as the string enum it
/// is on the wire (names, never numbers). (A document transformer: the component schemas are complete only once the
/// document is.)
/// </summary>
public sealed class NullableReferences : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var schema in (document.Components?.Schemas?.Values ?? []).OfType<OpenApiSchema>())
        {
            if (schema is { Type: null, Enum: { Count: > 0 } values }
                && values.Where(v => v is not null).All(v => v!.GetValueKind() == System.Text.Json.JsonValueKind.String))
            {
                schema.Type = JsonSchemaType.String;
                schema.Enum = values.Where(v => v is not null).ToList();
            }
        }

        foreach (var schema in (document.Components?.Schemas?.Values ?? []).OfType<OpenApiSchema>())
        foreach (var (name, property) in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).ToList())
        {
            if (property is not OpenApiSchema { OneOf: { Count: 2 } alternatives }) continue;
            var reference = alternatives.OfType<OpenApiSchemaReference>().SingleOrDefault();
            var onlyNull = alternatives.OfType<OpenApiSchema>().SingleOrDefault(a => a.Type is null or JsonSchemaType.Null);
            if (reference is not null && onlyNull is not null) schema.Properties![name] = reference;
        }

        return Task.CompletedTask;
    }
}
