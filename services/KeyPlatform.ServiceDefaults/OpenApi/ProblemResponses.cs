using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Protection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>
/// The error answers of every operation, as <c>application/problem+json</c> of <see cref="ProblemDetailsSchema"/>,
/// derived from what the edge does for any endpoint: 400 when it takes input (route ids are checked, X3; bodies and
/// queries bind or are refused), 401 and 403 when it needs a token, 404 when a route names a resource, 409 when it
/// runs a command (a rule's refusal, <see cref="RefusalProblems"/>), 413 when it has a body size limit, 415 when it
/// reads a body. A response the endpoint declares itself is left as declared.
/// </summary>
public sealed class ProblemResponses : IOpenApiOperationTransformer
{
    public const string ContentType = "application/problem+json";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var takesInput = description.ParameterDescriptions.Count > 0;
        var hasBody = operation.RequestBody is not null;
        var secured = !BearerSecurityScheme.IsAnonymous(context);
        var namesResource = description.ParameterDescriptions.Any(p => p.Source.Id == "Path");
        var command = !HttpMethods.IsGet(description.HttpMethod ?? "GET");

        operation.Responses ??= new OpenApiResponses();
        if (takesInput || hasBody) Add(operation, context, StatusCodes.Status400BadRequest, "The request or an id in it is not valid (VALIDATION, X3).");
        if (secured)
        {
            Add(operation, context, StatusCodes.Status401Unauthorized, "No valid bearer token.");
            Add(operation, context, StatusCodes.Status403Forbidden, "The caller's role, tenant or environment does not allow this (AUTHZ); key material over plain HTTP in Production (TLS_REQUIRED).");
        }

        if (namesResource) Add(operation, context, StatusCodes.Status404NotFound, "Nothing of that id (NOT_FOUND).");
        if (command && secured) Add(operation, context, StatusCodes.Status409Conflict, "Refused by a rule; 'rule' names it, 'allowedAt' says when a wait ends.");
        if (hasBody && metadata.OfType<IRequestSizeLimitMetadata>().LastOrDefault()?.MaxRequestBodySize is not null)
            Add(operation, context, StatusCodes.Status413PayloadTooLarge, "The request body is over this operation's size limit.");
        if (hasBody) Add(operation, context, StatusCodes.Status415UnsupportedMediaType, "The body is not of a content type this operation reads.");
        if (metadata.OfType<AbuseLimitMetadata>().Any())
            Add(operation, context, StatusCodes.Status429TooManyRequests, "Over this operation's rate limit for the caller or the tenant (RATE_LIMIT); Retry-After says when to try again.");
        return Task.CompletedTask;
    }

    internal static void Add(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key)) return;
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ContentType] = new() { Schema = new OpenApiSchemaReference(ProblemDetailsSchema.Name, context.Document) },
            },
        };
    }
}
