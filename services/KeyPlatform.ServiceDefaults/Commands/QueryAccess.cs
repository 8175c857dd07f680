using KeyPlatform.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>Reads follow the same tenant rule as commands: a caller reads only its own tenant (platform operators any),
/// and only as one of its administrators or operators (<see cref="Actor.MustBeReaderOf"/>).</summary>
public static class QueryAccess
{
    /// <summary>A 403 ProblemDetails when the caller may not read this tenant, otherwise null.</summary>
    public static IResult? RefuseUnlessReaderOf(this HttpContext http, string tenantId)
    {
        var actor = Actor.FromClaims(http.User);
        var refused = actor is null
            ? Refusal.Unauthorized("The token carries no subject or tenant (tid) claim.")
            : actor.MustBeReaderOf(tenantId);
        return refused is null ? null : Results.Problem(RefusalProblems.ToProblemDetails(refused));
    }

    public static IResult NotFound(string reason) =>
        Results.Problem(RefusalProblems.ToProblemDetails(Refusal.NotFound(reason)));
}
