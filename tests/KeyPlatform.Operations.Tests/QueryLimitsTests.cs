using System.Net;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.Testing;

namespace KeyPlatform.Operations.Tests;

/// <summary>X1 for the operator endpoints' query values: typed parameters whose limits (<see cref="OperationsQuery"/>)
/// validation enforces, a 400 naming the parameter, and the document publishes them.</summary>
[Collection(OperationsCollection.Name)]
public sealed class QueryLimitsTests(OperationsFixture fixture)
{
    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "S3")]
    [Trait("Rule", "S4")]
    [InlineData("/v1/operator/streams?limit=1001", "limit")]
    [InlineData("/v1/operator/streams?limit=0", "limit")]
    [InlineData("/v1/operator/streams/{ring}/events?limit=1001", "limit")]
    [InlineData("/v1/operator/streams/{ring}/events?fromVersion=0", "fromVersion")]
    [InlineData("/v1/operator/streams/{ring}/events?toVersion=-1", "toVersion")]
    [InlineData("/v1/operator/streams/{ring}/events?after=-1", "after")]
    [InlineData("/v1/operator/streams/{ring}/state?version=0", "version")]
    [InlineData("/v1/operator/streams/{ring}/state?at=yesterday", "at")]
    [InlineData("/v1/tenants/{tenant}/audit?limit=1001", "limit")]
    [InlineData("/v1/tenants/{tenant}/audit?after=-5", "after")]
    [InlineData("/v1/operator/streams?prefix=tenant-key%00", "prefix")]
    [InlineData("/v1/operator/streams?tenant=contoso%00", "tenant")]
    [InlineData("/v1/operator/streams?after=tenant-key%3Ac%00", "after")]
    [InlineData("/v1/operator/streams/tenant-key%3Acontoso%0Aeurope/events", "key")]
    [InlineData("/v1/operator/streams/tenant-key%3Acontoso%0Aeurope/state", "key")]
    public async Task A_query_value_outside_its_limits_is_a_400_naming_the_parameter_X1(string path, string parameter)
    {
        var story = await fixture.SharedStoryAsync();

        var response = await fixture.Operator().GetAsync(path.Replace("{ring}", Http.Escaped(story.Ring), StringComparison.Ordinal)
            .Replace("{tenant}", story.Tenant, StringComparison.Ordinal));

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe([parameter], problem.ToString());
        problem.GetProperty("detail").GetString()!.ShouldStartWith($"{parameter}: ");
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "S3")]
    public async Task The_largest_limit_is_a_page_not_a_refusal_X1()
    {
        var story = await fixture.SharedStoryAsync();

        var page = await fixture.Operator().EventsAsync(story.Ring, $"?limit={OperationsQuery.MaxLimit}&fromVersion=1&after=0");

        page.Items.Count.ShouldBe(6);
    }

    public static TheoryData<string, string> Limits => new()
    {
        { "/v1/operator/streams", "limit" },
        { "/v1/operator/streams/{key}/events", "limit" },
        { "/v1/operator/streams/{key}/events", "fromVersion" },
        { "/v1/operator/streams/{key}/events", "toVersion" },
        { "/v1/operator/streams/{key}/events", "after" },
        { "/v1/operator/streams/{key}/state", "version" },
        { "/v1/tenants/{tenantId}/audit", "limit" },
        { "/v1/tenants/{tenantId}/audit", "after" },
    };

    [Theory]
    [Trait("Rule", "X1")]
    [MemberData(nameof(Limits))]
    public async Task The_document_publishes_the_limits_of_each_query_value_X1(string path, string parameter)
    {
        var document = JsonDocument.Parse(await fixture.Keys.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        var schema = OpenApiAnswers.QueryParameter(document, path, "get", parameter);

        schema.GetProperty("type").GetString().ShouldBe("integer");
        var (minimum, maximum) = parameter switch
        {
            "limit" => (1L, (long)OperationsQuery.MaxLimit),
            "after" => (0L, long.MaxValue),
            _ => (1L, long.MaxValue),
        };
        schema.GetProperty("minimum").GetInt64().ShouldBe(minimum);
        schema.GetProperty("maximum").GetInt64().ShouldBe(maximum);
    }

    [Fact]
    [Trait("Rule", "X1")]
    public async Task The_document_publishes_the_shape_of_a_time_X1()
    {
        var document = JsonDocument.Parse(await fixture.Keys.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        var at = OpenApiAnswers.QueryParameter(document, "/v1/operator/streams/{key}/state", "get", "at");

        at.GetProperty("type").GetString().ShouldBe("string");
        at.GetProperty("pattern").GetString().ShouldBe(IsoTime.Pattern);
    }
}
