using KeyPlatform.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>Reads follow the same tenant rule as commands: a caller reads only its own tenant (operators any).</summary>
public static class QueryAccess
{
    /// <summary>A 403 ProblemDetails when the caller may not read this tenant, otherwise null.</summary>
    public static IResult? RefuseUnlessReaderOf(this HttpContext http, string tenantId)
    {
        var actor = Actor.FromClaims(http.User);
        if (actor is not null && actor.BelongsTo(tenantId)) return null;
        return Results.Problem(RefusalProblems.ToProblemDetails(
            Refusal.Unauthorized($"The caller may not read tenant '{tenantId}'.")));
    }

    public static IResult NotFound(string reason) =>
        Results.Problem(RefusalProblems.ToProblemDetails(Refusal.NotFound(reason)));
}
