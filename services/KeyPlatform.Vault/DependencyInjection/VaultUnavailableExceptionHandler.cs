using System.Globalization;
using KeyPlatform.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace KeyPlatform.Vault.DependencyInjection;

/// <summary>What a 503 for an unavailable store says: when to try again.</summary>
public static class VaultUnavailableProblems
{
    /// <summary>The <c>Retry-After</c> of a 503 <see cref="Rules.VaultUnavailable"/>, in seconds.</summary>
    public const int RetryAfterSeconds = 5;
}

/// <summary>
/// A <see cref="VaultUnavailableException"/> that reaches a service's HTTP edge (after the resilient decorator's retries) is a
/// 503 ProblemDetails with rule <see cref="Rules.VaultUnavailable"/>, the store's name and <c>Retry-After</c>, not a 500:
/// the caller did nothing wrong and may try again. Registered by <c>AddKeyVault</c>.
/// </summary>
public sealed class VaultUnavailableExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not VaultUnavailableException unavailable || httpContext.Response.HasStarted) return false;
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = VaultUnavailableProblems.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The key store is unavailable",
            Detail = $"The key store ({unavailable.Store}) is unavailable now; nothing was done. Try again later.",
            Type = $"urn:keyplatform:rule:{Rules.VaultUnavailable}",
        };
        problem.Extensions["rule"] = Rules.VaultUnavailable;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
