using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// The OpenAPI document every service serves at <c>/openapi/v1.json</c>, complete enough to generate a client from:
/// the bearer scheme on every operation that needs a token, the ProblemDetails answers of every operation, and the
/// limits of ids and names. OpenAPI 3.0, which every generator reads. See docs/decisions/0009-openapi-document.md.
/// </summary>
public static class PlatformOpenApi
{
    public static IServiceCollection AddPlatformOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0;
            options.AddDocumentTransformer<BearerSecurityScheme>();
            options.AddDocumentTransformer<ProblemDetailsSchema>();
            options.AddOperationTransformer<BearerSecurityScheme>();
            options.AddOperationTransformer<ProblemResponses>();
            options.AddSchemaTransformer<IdentifierSchemas>();
        });
}
