using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Identifiers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>The HTTP way into a command handler: actor from the token, correlation from the request, refusal
/// to ProblemDetails. The command's ids are checked (X3) before the handler runs, as on the bus. With an
/// <c>Idempotency-Key</c>, a retry gets the first answer instead of a second decision (<see cref="RememberedAnswers"/>).</summary>
public static class CommandEndpoints
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static async Task<IResult> Dispatch<TCommand>(HttpContext http, TCommand command,
        Func<object?, IResult>? onAccepted = null) where TCommand : class
    {
        var actor = Actor.FromClaims(http.User);
        if (actor is null)
            return Results.Problem(RefusalProblems.ToProblemDetails(
                Refusal.Unauthorized("The token carries no subject or tenant (tid) claim.")));

        if (http.Features.Get<IdempotencyKeyFeature>() is not { } key) return await DecideAsync(http, actor, command, onAccepted, null);

        var (claim, answer) = await RememberedAnswers.BeginAsync(http, actor, key);
        if (claim is null) return answer!;
        try
        {
            return claim.Remember(await DecideAsync(http, actor, command, onAccepted, claim));
        }
        catch
        {
            await claim.ForgetAsync();
            throw;
        }
    }

    private static async Task<IResult> DecideAsync<TCommand>(HttpContext http, Actor actor, TCommand command,
        Func<object?, IResult>? onAccepted, RememberedAnswers.Claim? claim) where TCommand : class
    {
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        if (http.RequestServices.GetRequiredService<PlatformIds>().Check(command) is { } notCanonical)
            return RefusalProblems.ToResult(notCanonical, time);

        var handler = http.RequestServices.GetRequiredService<ICommandHandler<TCommand>>();
        var context = CommandContext.ForHttp(actor, http.Request.Headers[CorrelationHeader].FirstOrDefault() ?? http.TraceIdentifier,
            claim?.CommandId) with { RememberedAnswerId = claim?.Id };
        var result = await handler.HandleAsync(command, context, http.RequestAborted);
        if (result.Refusal is { } refusal) return RefusalProblems.ToResult(refusal, time);
        return onAccepted?.Invoke(result.Response) ?? Results.Ok(result.Response);
    }
}
