using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// A form with a file is described as what a client must send: <c>multipart/form-data</c> only (a file cannot travel
/// url-encoded, though ASP.NET Core lists both for any <c>[FromForm]</c>), and each file field as a plain binary string
/// (ASP.NET Core writes a nullable <c>IFormFile</c> as <c>oneOf [null, IFormFile]</c>, which generators turn into a
/// class instead of a file parameter).
/// </summary>
public sealed class MultipartBodies : IOpenApiOperationTransformer
{
    private const string Multipart = "multipart/form-data";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.RequestBody?.Content is not { } content || !content.TryGetValue(Multipart, out var form)) return Task.CompletedTask;
        foreach (var other in content.Keys.Where(k => k != Multipart).ToList()) content.Remove(other);
        if (Resolve(form.Schema, context.Document) is not { Properties: { } properties }) return Task.CompletedTask;
        foreach (var (name, property) in properties.ToList())
            if (IsFile(property, context.Document))
                properties[name] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        return Task.CompletedTask;
    }

    private static bool IsFile(IOpenApiSchema schema, OpenApiDocument? document) =>
        Resolve(schema, document) is { } resolved
        && ((resolved.Format == "binary" && resolved.Type is { } t && t.HasFlag(JsonSchemaType.String))
            || (resolved.OneOf ?? resolved.AnyOf ?? []).Any(alternative => IsFile(alternative, document)));

    private static OpenApiSchema? Resolve(IOpenApiSchema? schema, OpenApiDocument? document) => schema switch
    {
        OpenApiSchema inline => inline,
        OpenApiSchemaReference reference when reference.Reference.Id is { } id
            && document?.Components?.Schemas?.TryGetValue(id, out var target) == true => target as OpenApiSchema,
        OpenApiSchemaReference reference => reference.Target as OpenApiSchema,
        _ => null,
    };
}
