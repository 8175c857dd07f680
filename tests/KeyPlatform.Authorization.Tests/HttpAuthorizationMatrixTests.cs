using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;

namespace KeyPlatform.Authorization.Tests;

/// <summary>Every HTTP endpoint of every service has a row in the matrix, every row names an endpoint, and every cell
/// is what the endpoint answers that caller (S1: who may do what; a caller never acts outside its own tenant).</summary>
[Collection(PlatformCollection.Name)]
public sealed class HttpAuthorizationMatrixTests(PlatformHosts platform)
{
    public const string Surface = "http";

    private static readonly AuthorizationMatrix Matrix = AuthorizationMatrix.Load();

    private IEnumerable<(PlatformHost Host, RouteEndpoint Endpoint, string Method, string Operation)> Operations() =>
        from host in platform.Hosts
        from endpoint in host.Endpoints
        from method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"]
        select (host, endpoint, method, $"{method} /{endpoint.RoutePattern.RawText!.Trim('/')}");

    [Fact]
    [Trait("Rule", "S1")]
    public void Every_endpoint_has_a_row_and_every_row_an_endpoint_S1()
    {
        var exposed = Operations().Select(o => $"{Surface} {o.Host.Service} {o.Operation}").ToHashSet();
        var rows = Matrix.Rows.Where(r => r.Surface == Surface).Select(r => r.Key).ToHashSet();

        exposed.Except(rows).Order().ShouldBeEmpty($"endpoints without a row in {AuthorizationMatrix.FileName}");
        rows.Except(exposed).Order().ShouldBeEmpty($"rows of {AuthorizationMatrix.FileName} naming no endpoint");
    }

    [Fact]
    [Trait("Rule", "S1")]
    public async Task Every_endpoint_answers_each_caller_as_the_matrix_says_S1()
    {
        var wrong = new StringBuilder();
        foreach (var (host, endpoint, method, operation) in Operations())
        {
            var row = Matrix.Find(Surface, host.Service, operation);
            var observed = new Dictionary<string, string>();
            var differs = false;
            foreach (var caller in Caller.All)
            {
                using var client = host.CreateClient().WithToken(caller.TokenFor(platform.Jwt));
                using var response = await client.SendAsync(HttpSamples.Request(endpoint, method));
                var outcome = Classify(response.StatusCode);
                observed[caller.Column] = outcome;
                if (outcome != row?.Cells[caller.Column]) differs = true;
            }
            if (differs)
                wrong.AppendLine($"  expected {(row is null ? "(no row)" : AuthorizationMatrix.Format(Surface, host.Service, operation, row.Cells))}")
                    .AppendLine($"  observed {AuthorizationMatrix.Format(Surface, host.Service, operation, observed)}");
        }
        wrong.ToString().ShouldBeEmpty("endpoints that answer a caller otherwise than the matrix says");
    }

    /// <summary>401 and 403 are themselves; any other answer below 500 means the caller got past authorisation to the
    /// rules. A 5xx is never an answer.</summary>
    private static string Classify(HttpStatusCode status) => (int)status switch
    {
        401 => Outcome.Unauthenticated,
        403 => Outcome.Forbidden,
        < 500 => Outcome.Allowed,
        _ => $"5xx:{(int)status}",
    };
}
