using System.Net.Http.Headers;
using System.Text.Json;
using CsCheck;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using Xunit.Abstractions;

namespace KeyPlatform.OpenApi.Tests.Properties;

/// <summary>
/// X1 over every operation of every service, enumerated from the document the service serves (a new endpoint is
/// covered without editing this file): valid-looking requests built from the schemas, mutated into invalid ones.
/// Never a 5xx; every 4xx a ProblemDetails (application/problem+json) with a <c>rule</c>; and after each refusal the
/// service's event store holds what it held before. Seeded by CsCheck: a failure prints the seed, and
/// <c>CsCheck_Seed=...</c> (or <see cref="SeedVariable"/>) replays it; <see cref="IterationsVariable"/> runs more.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class EdgePropertyTests(PlatformServices platform, ITestOutputHelper output)
{
    public const string SeedVariable = "KEYPLATFORM_PROPERTY_SEED";
    public const string IterationsVariable = "KEYPLATFORM_PROPERTY_ITERATIONS";

    /// <summary>Requests per operation (default), so the three services together stay well under two minutes.</summary>
    private const int IterationsPerOperation = 8;

    public static TheoryData<string> Services => new(PlatformServices.Names);

    [Theory]
    [MemberData(nameof(Services))]
    [Trait("Rule", "X1")]
    public async Task No_client_input_gets_a_5xx_and_every_refusal_is_a_ProblemDetails_that_stores_nothing_X1(string service)
    {
        var document = await platform.ServedDocumentNodeAsync(service);
        var operations = DocumentedOperation.AllOf(document).Where(o => o.PathTemplate != "/").ToList();
        operations.ShouldNotBeEmpty();
        var schema = platform.SchemaOf(service);
        var allSchemas = PlatformServices.Names.Select(platform.SchemaOf).ToList();
        var host = platform.HostOf(service);
        var builder = new RequestBuilder($"prop-{TestInfrastructure.UniqueSuffix()}", $"env-{TestInfrastructure.UniqueSuffix()}", "europe",
            platform.Keys.Clock.GetUtcNow());
        var mutations = Enum.GetValues<Mutation>();
        var iterations = int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out var n) ? n : IterationsPerOperation * operations.Count;

        var cases = Gen.Select(Gen.Int[0, operations.Count - 1], Gen.Int[0, mutations.Length - 1], Gen.Int[0, RequestCase.Roles.Length - 1],
            Gen.Int[0, 64], Gen.Int[0, 64], (o, m, r, f, v) => new RequestCase(o, mutations[m], r, f, v));

        await cases.SampleAsync(async c =>
            {
                var operation = operations[c.Operation];
                using var request = builder.Build(operation, c);
                if (c.Mutation != Mutation.NoToken && !operation.Anonymous)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(host.Jwt, c, builder));
                var before = await EventStore.CountAsync(schema);

                HttpResponseMessage sent;
                try
                {
                    sent = await host.CreateClient().SendAsync(request);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("null characters", StringComparison.Ordinal))
                {
                    // %00 in a path: the test server's request-line decoder throws where Kestrel's (the same decoder)
                    // answers 400 before any application code runs. Nothing reached the service.
                    (await EventStore.CountAsync(schema)).ShouldBe(before);
                    return;
                }

                using var response = sent;

                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                var what = $"{operation} with {c.Mutation} ({request.Method} {Shorten(request.RequestUri!.ToString())}) answered {status}";
                status.ShouldBeLessThan(500, $"{what}: {Shorten(body)}");
                if (status >= 400)
                {
                    response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{what}: {Shorten(body)}");
                    using var problem = JsonDocument.Parse(body);
                    problem.RootElement.TryGetProperty("rule", out var rule).ShouldBeTrue($"{what} without a rule: {Shorten(body)}");
                    rule.GetString().ShouldNotBeNullOrWhiteSpace(what);
                    (await EventStore.CountAsync(schema)).ShouldBe(before, $"{what}, and the event store changed");
                }
                else if (request.Method != HttpMethod.Get) await EventStore.SettleAsync(allSchemas);
            },
            writeLine: output.WriteLine,
            seed: Environment.GetEnvironmentVariable(SeedVariable),
            iter: iterations,
            threads: 1,
            print: c => $"{c} on {operations[c.Operation]}");
    }

    private static string TokenFor(JwtOptions jwt, RequestCase c, RequestBuilder builder)
    {
        var role = RequestCase.Roles[c.Role];
        var tenant = role == PlatformRoles.PlatformOperator ? "*" : builder.Tenant;
        return DevTokens.Mint(jwt, $"prop-{role}@{tenant}", tenant, [role], role == PlatformRoles.EnvironmentAdmin ? [builder.Environment] : []);
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;
}
