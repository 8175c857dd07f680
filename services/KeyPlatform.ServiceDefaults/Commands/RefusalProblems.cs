using KeyPlatform.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>Turns a refusal into ProblemDetails: the rule id in <c>rule</c>, and for a waiting period the time
/// the action becomes allowed in <c>allowedAt</c> and in a Retry-After header.</summary>
public static class RefusalProblems
{
    public static int StatusCodeFor(Refusal refusal) => refusal.Rule switch
    {
        Rules.Authorization => StatusCodes.Status403Forbidden,
        Rules.Validation or Rules.X3 => StatusCodes.Status400BadRequest,
        Rules.NotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status409Conflict,
    };

    public static ProblemDetails ToProblemDetails(Refusal refusal)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodeFor(refusal),
            Type = $"urn:keyplatform:rule:{refusal.Rule}",
            Title = refusal.Rule switch
            {
                Rules.Authorization => "Not allowed for this caller",
                Rules.Validation => "The request is not valid",
                Rules.NotFound => "Not found",
                Rules.X3 => "An id is not in its canonical form or not known (rule X3)",
                _ => $"Refused by rule {refusal.Rule}",
            },
            Detail = refusal.Reason,
        };
        problem.Extensions["rule"] = refusal.Rule;
        if (refusal.AllowedAt is { } allowedAt) problem.Extensions["allowedAt"] = allowedAt;
        return problem;
    }

    public static IResult ToResult(Refusal refusal, TimeProvider time)
    {
        var problem = ToProblemDetails(refusal);
        return new RefusalResult(problem, refusal.AllowedAt is { } at ? at - time.GetUtcNow() : null);
    }

    private sealed class RefusalResult(ProblemDetails problem, TimeSpan? retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (retryAfter is { } wait)
                httpContext.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(problem).ExecuteAsync(httpContext);
        }
    }
}
