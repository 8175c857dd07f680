using System.Text.Json;
using KeyPlatform.Contracts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KeyPlatform.ServiceDefaults.Hosting;

/// <summary>
/// X1 at the HTTP edge: whatever a client sends, the answer is a 4xx ProblemDetails carrying a <c>rule</c>, never a
/// 500. Requests ASP.NET Core refuses before an endpoint runs (a body that is not JSON or has a wrong type or an
/// unknown enum value, a missing body, a wrong content type, a body over the size limit, a query value that does not
/// bind) arrive here as <see cref="BadHttpRequestException"/>; validation failures and bare status codes arrive as
/// ProblemDetails without a rule. Every other exception stays a 500: client input is validated at binding, never
/// caught afterwards. See docs/decisions/0008-no-5xx-for-client-input.md.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted) return false;
        httpContext.Response.StatusCode = bad.StatusCode;
        var problem = bad.InnerException is JsonException json
            // The JSON reader's own message quotes the offending input: only its path is shown.
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]>
                { [JsonField(json.Path)] = ["The value is not valid JSON for this field, or has the wrong type."] })
            : new ProblemDetails();
        problem.Status = bad.StatusCode;
        problem.Detail = bad.InnerException is JsonException ? "The request body is not valid JSON for this operation." : bad.Message;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static string JsonField(string? path) => path is null or "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
}

/// <summary>Endpoint metadata: the rule a request body over the endpoint's size limit breaks, and why. Without it a
/// 413 carries rule <c>VALIDATION</c>.</summary>
public sealed record RequestTooLargeRule(string Rule, string Reason);

/// <summary>Fills in what every client error of ours carries: a <c>rule</c>, a <c>type</c> naming it, a title.
/// Problems that already name their rule (refusals of a decider) are left as they are.</summary>
public static class ClientErrorProblems
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (status is < 400 or >= 500) return;
        if (problem is HttpValidationProblemDetails validation)
        {
            validation.Errors = AsJsonFields(validation.Errors, context.HttpContext);
            validation.Detail ??= Summary(validation.Errors);
        }
        if (problem.Extensions.ContainsKey("rule")) return;

        if (status == StatusCodes.Status413PayloadTooLarge
            && EndpointOf(context.HttpContext)?.Metadata.GetMetadata<RequestTooLargeRule>() is { } tooLarge)
        {
            Name(problem, tooLarge.Rule, $"Refused by rule {tooLarge.Rule}");
            problem.Detail = tooLarge.Reason;
            return;
        }

        switch (status)
        {
            case StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden:
                Name(problem, Rules.Authorization, "Not allowed for this caller");
                break;
            case StatusCodes.Status404NotFound:
                Name(problem, Rules.NotFound, "Not found");
                break;
            case StatusCodes.Status429TooManyRequests:
                break; // the rate limiter names its own rule
            default:
                Name(problem, Rules.Validation, "The request is not valid");
                break;
        }
    }

    /// <summary>Validation names the C# members (<c>AppPerUserLicences</c>); the client sent JSON fields
    /// (<c>appPerUserLicences</c>): errors are keyed as the client wrote them, by the JSON naming policy.</summary>
    private static Dictionary<string, string[]> AsJsonFields(IDictionary<string, string[]> errors, HttpContext http)
    {
        var policy = http.RequestServices.GetService<IOptions<HttpJsonOptions>>()?.Value.SerializerOptions.PropertyNamingPolicy;
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (member, messages) in errors)
        {
            var field = policy is null ? member : string.Join('.', member.Split('.').Select(policy.ConvertName));
            fields[field] = fields.TryGetValue(field, out var earlier) ? [.. earlier, .. messages] : messages;
        }
        return fields;
    }

    /// <summary>What the errors say, for a client that shows only <c>detail</c> (the CLI does): validation leaves it
    /// empty. The messages name fields and limits, never the values sent.</summary>
    private static string Summary(IDictionary<string, string[]> errors) =>
        string.Join(" ", errors.Select(error => $"{error.Key}: {string.Join(" ", error.Value)}"));

    /// <summary>The endpoint of the request; the exception handler middleware keeps it only in its feature.</summary>
    private static Endpoint? EndpointOf(HttpContext http) =>
        http.GetEndpoint() ?? http.Features.Get<IExceptionHandlerFeature>()?.Endpoint;

    private static void Name(ProblemDetails problem, string rule, string title)
    {
        problem.Extensions["rule"] = rule;
        problem.Type = $"urn:keyplatform:rule:{rule}";
        problem.Title = title;
    }
}
