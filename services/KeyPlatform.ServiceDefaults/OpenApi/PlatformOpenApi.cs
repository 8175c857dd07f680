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
            // No servers: the address a request came in on is not the service's; a client is given its base address.
            // It also keeps the checked-in documents (docs/openapi/) the same wherever they are served from.
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Servers = [];
                return Task.CompletedTask;
            });
            options.AddDocumentTransformer<BearerSecurityScheme>();
            options.AddDocumentTransformer<ProblemDetailsSchema>();
            options.AddDocumentTransformer<NullableReferences>();
            options.AddOperationTransformer<BearerSecurityScheme>();
            options.AddOperationTransformer<ProblemResponses>();
            options.AddOperationTransformer<MultipartBodies>();
            options.AddOperationTransformer<IdempotencyKeyHeader>();
            options.AddSchemaTransformer<RecordParameterLimits>();
            options.AddSchemaTransformer<IdentifierSchemas>();
            options.AddSchemaTransformer<NumberSchemas>();
        });
}
