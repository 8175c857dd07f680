using KeyPlatform.ServiceDefaults.Commands;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace KeyPlatform.ServiceDefaults.OpenApi;

/// <summary>The optional <c>Idempotency-Key</c> header on every command operation (secured, not a GET, not marked
/// <see cref="TakesNoIdempotencyKey"/>), with its limits and its 422 answer (<see cref="RememberedAnswers"/>).</summary>
public sealed class IdempotencyKeyHeader : IOpenApiOperationTransformer
{
    public const string Pattern = "^[ -~]*[!-~][ -~]*$";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        if (HttpMethods.IsGet(description.HttpMethod ?? "GET") || BearerSecurityScheme.IsAnonymous(context)
            || description.ActionDescriptor.EndpointMetadata.OfType<TakesNoIdempotencyKey>().Any())
            return Task.CompletedTask;

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyKeys.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Optional; a unique value per request (a UUID). A retry with the same key, by the same caller, to the same "
                + "path gets the first answer again (same status, body and Location; Idempotent-Replayed: true), without a second "
                + "decision, for 7 days (Messaging:Retention). The same key with another body: 422; while the first is still running: "
                + "409 with Retry-After; an answer that carried key material is not repeated (409). Rule IDEMPOTENCY_KEY.",
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                MinLength = 1,
                MaxLength = IdempotencyKeys.MaxLength,
                Pattern = Pattern,
            },
        });
        ProblemResponses.Add(operation, context, StatusCodes.Status422UnprocessableEntity,
            "The Idempotency-Key was used for a different request (IDEMPOTENCY_KEY).");
        return Task.CompletedTask;
    }
}
