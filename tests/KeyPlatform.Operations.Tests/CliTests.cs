using System.Net;
using System.Text;
using System.Text.Json;
using KeyPlatform.Cli;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Operations.Tests;

/// <summary>The <c>keyplatform</c> CLI's handlers run in-process against the test host's HttpClient: tables by default,
/// <c>--json</c> for scripts, and exit codes scripts can rely on.</summary>
[Collection(OperationsCollection.Name)]
public sealed class CliTests(OperationsFixture fixture)
{
    private const string Url = "http://localhost";

    private sealed record Run(int ExitCode, string Out, string Error);

    private Task<Run> RunAsync(params string[] args) => RunAsync(_ => fixture.Keys.CreateClient(), _ => null, args);

    private static async Task<Run> RunAsync(Func<Uri, HttpClient> http, Func<string, string?> variable, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new CliEnvironment { Out = output, Error = error, HttpClientFactory = http, Variable = variable, Width = 250 };
        var exitCode = await KeyPlatformCli.RunAsync(args, environment);
        return new Run(exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Streams_list_prints_a_table_of_the_tenants_streams_S3()
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("streams", "list", "--tenant", story.Tenant, "--url", Url);

        run.ExitCode.ShouldBe(0, run.Error);
        var lines = run.Out.Split('\n');
        lines.ShouldContain(l => l.Contains("stream") && l.Contains("aggregate") && l.Contains("version") && l.Contains("last event"));
        lines.ShouldContain(l => l.Contains(story.Ring) && l.Contains("TenantKeyRing") && l.Contains(" 6 "));
        lines.ShouldContain(l => l.Contains(OperationsFixture.TenantStream(story.Tenant)) && l.Contains("TenantEnablement"));
        run.Out.ShouldContain("2 stream(s) in http://localhost");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Streams_show_with_json_prints_the_events_and_their_metadata_for_scripts_S1_S3()
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("streams", "show", story.Ring, "--json", "--url", Url);

        run.ExitCode.ShouldBe(0, run.Error);
        var page = JsonSerializer.Deserialize<Page<StreamEventView>>(run.Out, OperationsFixture.Json)!;
        page.Items.Count.ShouldBe(6);
        page.Items[0].Actor.ShouldBe($"user-PowerPlatformAdmin@{story.Tenant}");
        page.Items[0].CorrelationId.ShouldBe($"upload-first-{story.Tenant}");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Streams_show_prints_a_table_with_actor_and_ids_S3()
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("streams", "show", story.Ring, "--from-version", "5", "--url", Url);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Out.ShouldContain("correlation id");
        run.Out.Split('\n').ShouldContain(l => l.Contains("KeyInstallationStarted") && l.Contains($"activate-{story.Tenant}")
                                               && l.Contains($"user-PowerPlatformAdmin@{story.Tenant}"));
        run.Out.Split('\n').ShouldContain(l => l.Contains("KeyActivated") && l.Contains("service:key-service"));
        run.Out.ShouldNotContain("KeyAdded");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Streams_state_as_of_a_version_prints_the_aggregate_S3()
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("streams", "state", story.Ring, "--version", "3", "--url", Url);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Out.ShouldContain("TenantKeyRing");
        run.Out.ShouldContain("3 of 6");
        run.Out.ShouldContain("\"state\": \"Active\"");
        run.Out.ShouldNotContain(story.Second);
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task An_unknown_stream_exits_1_with_no_stream_x_S3()
    {
        var run = await RunAsync("streams", "show", "tenant-key:nobody:europe", "--url", Url);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("no stream 'tenant-key:nobody:europe'");
        (await RunAsync("streams", "state", "tenant-key:nobody:europe", "--url", Url)).ExitCode.ShouldBe(1);
    }

    [Theory]
    [Trait("Rule", "S3")]
    [InlineData("yesterday")]
    [InlineData("05/01/2026")]
    [InlineData("2026-13-45T99:00:00Z")]
    public async Task A_bad_time_exits_2_saying_which_format_is_expected_S3(string time)
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("streams", "state", story.Ring, "--at", time, "--url", Url);

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldContain($"--at '{time}' is not a time: expected an ISO-8601 time such as 2026-01-05T09:00:00Z");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task A_time_before_the_stream_began_is_refused_by_the_service_and_exits_2_S3()
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("streams", "state", story.Ring, "--at", "2000-01-01", "--url", Url);

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldContain("has no event recorded at or before 2000-01-01");
    }

    [Theory]
    [Trait("Rule", "S3")]
    [InlineData("streams", "state")]
    [InlineData("streams", "list", "--service", "vault")]
    [InlineData("streams", "state", "tenant:x", "--version", "0")]
    [InlineData("streams", "state", "tenant:x", "--version", "2", "--at", "2026-01-05")]
    [InlineData("streams", "list", "--limit", "0")]
    [InlineData("projections", "rebuild")]
    [InlineData("projections", "rebuild", "TenantKeyRing", "--all")]
    [InlineData("streams", "list", "--url", "not a url")]
    [InlineData("audit", "--tenant", "t", "--after", "5")]
    public async Task A_command_line_that_makes_no_sense_exits_2(params string[] args)
    {
        var run = await RunAsync(args);

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldStartWith("keyplatform: ");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Projections_rebuild_all_reports_events_processed_and_time_taken_S3()
    {
        await fixture.SharedStoryAsync();

        var run = await RunAsync("projections", "rebuild", "--all", "--url", Url);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Out.ShouldContain("[1/1] rebuilding TenantKeyRing");
        run.Out.Split('\n').ShouldContain(l => l.Contains("TenantKeyRing") && l.Contains(" ms"));
        run.Out.ShouldContain("1 projection(s) rebuilt from");

        var json = await RunAsync("projections", "rebuild", "TenantKeyRing", "--json", "--url", Url);
        json.ExitCode.ShouldBe(0, json.Error);
        JsonSerializer.Deserialize<ProjectionsRebuildView>(json.Out, OperationsFixture.Json)!.Projections.Single().EventsProcessed
            .ShouldBeGreaterThanOrEqualTo(6);
    }

    [Fact]
    [Trait("Rule", "S4")]
    public async Task Audit_prints_who_did_what_from_which_service_S4()
    {
        var story = await fixture.SharedStoryAsync();

        var run = await RunAsync("audit", "--tenant", story.Tenant, "--url", Url);

        run.ExitCode.ShouldBe(0, run.Error);
        var lines = run.Out.Split('\n');
        lines.ShouldContain(l => l.Contains("TenantEnabled") && l.Contains("user-PlatformOperator@*") && l.Contains($"enable-{story.Tenant}"));
        lines.ShouldContain(l => l.Contains("KeyActivated") && l.Contains("service:key-service") && l.Contains("key-service "));
        run.Out.ShouldContain($"7 event(s) of tenant {story.Tenant}");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task A_service_that_cannot_be_reached_exits_3_naming_its_url()
    {
        var direct = await RunAsync(_ => new HttpClient(), _ => null, "streams", "list", "--url", "http://127.0.0.1:1");
        direct.ExitCode.ShouldBe(3);
        direct.Error.ShouldContain("cannot reach 127.0.0.1:1 at http://127.0.0.1:1/");

        var configured = await RunAsync(_ => new HttpClient(),
            name => name == "KP_KEYSERVICE_URL" ? "http://127.0.0.1:9" : null, "audit", "--tenant", "contoso");
        configured.ExitCode.ShouldBe(3);
        configured.Error.ShouldContain("cannot reach key-service at http://127.0.0.1:9/");
    }

    [Fact]
    public async Task Locks_status_asks_tenant_lock_and_prints_the_progress()
    {
        var requested = new List<Uri>();
        HttpClient Stub(Uri _) => new(new StubHandler(request =>
        {
            requested.Add(request.RequestUri!);
            return request.RequestUri!.AbsolutePath.EndsWith("/regions/europe/lock", StringComparison.Ordinal)
                ? Json(HttpStatusCode.OK, """{"lockCycleId":"tenant-lock:contoso:europe:1","phase":"Locking","environmentsTotal":3,"environmentsLocked":2,"keysDeleted":1}""")
                : Json(HttpStatusCode.NotFound, """{"status":404,"detail":"Tenant 'contoso' has never been locked in region 'asia'.","rule":"NOT_FOUND"}""");
        }));

        var run = await RunAsync(Stub, _ => null, "locks", "status", "--tenant", "contoso", "--region", "europe");

        run.ExitCode.ShouldBe(0, run.Error);
        requested.Single().ToString().ShouldBe("http://127.0.0.1:5103/v1/tenants/contoso/regions/europe/lock");
        run.Out.Split('\n').ShouldContain(l => l.Contains("phase") && l.Contains("Locking"));
        run.Out.Split('\n').ShouldContain(l => l.Contains("environmentsLocked") && l.Contains('2'));

        var never = await RunAsync(Stub, _ => null, "locks", "status", "--tenant", "contoso", "--region", "asia");
        never.ExitCode.ShouldBe(1);
        never.Error.ShouldContain("has never been locked in region 'asia'");
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond(request));
    }
}
