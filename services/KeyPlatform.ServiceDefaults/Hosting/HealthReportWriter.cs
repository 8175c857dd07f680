using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KeyPlatform.ServiceDefaults.Hosting;

/// <summary>The body of <c>/health/ready</c>: the overall status and the status of each check by name, so an operator
/// sees which part (<c>relay</c>, <c>vault</c>, <c>postgresql</c>, the bus) is degraded or down. The endpoint is
/// anonymous, so the checks' reasons (which may name hosts and settings) are not written; they are in the logs and in
/// <see cref="HealthCheckService"/>.</summary>
public static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        }, cancellationToken: context.RequestAborted);
    }
}
