using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>What an endpoint declares about its refusals, for the OpenAPI document: every endpoint can answer 400
/// (VALIDATION, X3), 401 and 403 (AUTHZ) as ProblemDetails; <c>statuses</c> adds its own (404 NOT_FOUND, 409 for
/// a product rule, 413, 415).</summary>
public static class ProblemResponses
{
    public static RouteHandlerBuilder ProducesRefusals(this RouteHandlerBuilder builder, params int[] statuses)
    {
        // 400 is the one ProblemDetails schema too (a validation failure adds its `errors`): declared with
        // ProducesValidationProblem, an endpoint without validated parameters would publish a second schema for it.
        foreach (var status in new[] { StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden }
                     .Concat(statuses).Distinct())
            builder.ProducesProblem(status);
        return builder;
    }
}
