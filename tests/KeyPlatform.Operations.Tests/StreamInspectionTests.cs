using System.Net;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Operations.Tests;

/// <summary>S3 over HTTP: list streams, show a stream's events with their metadata (S1), show an aggregate as of a
/// version or a time.</summary>
[Collection(OperationsCollection.Name)]
public sealed class StreamInspectionTests(OperationsFixture fixture) : IAsyncLifetime
{
    private string tenant = null!;
    private string ring = null!;
    private (string First, string Second) keys;

    public async Task InitializeAsync()
    {
        var story = await fixture.SharedStoryAsync();
        tenant = story.Tenant;
        ring = story.Ring;
        keys = (story.First, story.Second);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Operators_list_a_tenants_streams_with_aggregate_version_and_times_page_by_page_S3()
    {
        var op = fixture.Operator();

        var page = await op.OkAsync<Page<StreamSummary>>($"/v1/operator/streams?tenant={tenant}");

        page.Items.Select(s => (s.Key, s.AggregateType, s.Version)).ShouldBe(
        [
            (ring, "TenantKeyRing", 6L),
            (OperationsFixture.TenantStream(tenant), "TenantEnablement", 1L),
        ]);
        page.Next.ShouldBeNull();
        page.Items.ShouldAllBe(s => s.Created <= s.LastEventAt && !s.IsArchived);

        var first = await op.OkAsync<Page<StreamSummary>>($"/v1/operator/streams?tenant={tenant}&limit=1");
        first.Items.Single().Key.ShouldBe(ring);
        first.Next.ShouldBe(ring);
        var second = await op.OkAsync<Page<StreamSummary>>($"/v1/operator/streams?tenant={tenant}&limit=1&after={Http.Escaped(first.Next!)}");
        second.Items.Single().Key.ShouldBe(OperationsFixture.TenantStream(tenant));
        second.Next.ShouldBeNull();

        (await op.OkAsync<Page<StreamSummary>>($"/v1/operator/streams?prefix={Http.Escaped($"tenant-key:{tenant}")}"))
            .Items.Single().Key.ShouldBe(ring);
        (await op.OkAsync<Page<StreamSummary>>($"/v1/operator/streams?tenant={tenant}-nobody")).Items.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "S1")]
    public async Task A_streams_events_carry_the_actor_the_correlation_id_and_the_causation_id_S1_S3()
    {
        var events = (await fixture.Operator().EventsAsync(ring)).Items;

        events.Select(e => e.ClrType).ShouldBe(
            ["KeyAdded", "KeyInstallationStarted", "KeyActivated", "KeyAdded", "KeyInstallationStarted", "KeyActivated"]);
        events.Select(e => e.Version).ShouldBe([1L, 2, 3, 4, 5, 6]);
        events.Select(e => e.Sequence).ShouldBeInOrder();

        var uploaded = events[0];
        uploaded.Type.ShouldBe("key_added");
        uploaded.Actor.ShouldBe($"user-PowerPlatformAdmin@{tenant}");
        uploaded.CorrelationId.ShouldBe($"upload-first-{tenant}");
        Header(uploaded, "actor-tid").ShouldBe(tenant);
        Header(uploaded, "actor-roles").ShouldBe("PowerPlatformAdmin");
        uploaded.CausationId.ShouldBe(Header(uploaded, "command-id"));
        ((JsonElement)uploaded.Data!).GetProperty("keyId").GetString().ShouldBe(keys.First);

        var installed = events[2];
        installed.Actor.ShouldBe("service:key-service");
        Header(installed, "actor-tid").ShouldBe("*");

        var activation = events[4];
        activation.Actor.ShouldBe($"user-PowerPlatformAdmin@{tenant}");
        activation.CorrelationId.ShouldBe($"activate-{tenant}");
        ((JsonElement)activation.Data!).GetProperty("keyId").GetString().ShouldBe(keys.Second);
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Events_are_shown_between_two_versions_a_page_at_a_time_S3()
    {
        var op = fixture.Operator();

        var first = await op.EventsAsync(ring, "?fromVersion=2&toVersion=4&limit=2");
        first.Items.Select(e => e.Version).ShouldBe([2L, 3]);
        first.Next.ShouldBe("3");
        var second = await op.EventsAsync(ring, "?fromVersion=2&toVersion=4&limit=2&after=3");
        second.Items.Select(e => e.Version).ShouldBe([4L]);
        second.Next.ShouldBeNull();

        (await (await op.GetAsync($"/v1/operator/streams/{Http.Escaped(ring)}/events?fromVersion=4&toVersion=2"))
            .ProblemAsync(HttpStatusCode.BadRequest)).Rule.ShouldBe(Rules.Validation);
        var unknown = await (await op.GetAsync($"/v1/operator/streams/{Http.Escaped($"tenant-key:{tenant}:mars")}/events"))
            .ProblemAsync(HttpStatusCode.NotFound);
        unknown.Detail.ShouldBe($"No stream 'tenant-key:{tenant}:mars' in this service.");
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task The_ring_as_of_a_version_is_the_ring_before_the_later_events_S3()
    {
        var op = fixture.Operator();

        var atThree = await op.OkAsync<AggregateStateView>($"/v1/operator/streams/{Http.Escaped(ring)}/state?version=3");
        atThree.AggregateType.ShouldBe("TenantKeyRing");
        atThree.Version.ShouldBe(3);
        atThree.AsOfVersion.ShouldBe(3);
        atThree.StreamVersion.ShouldBe(6);
        KeyStates(atThree).ShouldBe([(keys.First, "Active")]);

        var now = await op.OkAsync<AggregateStateView>($"/v1/operator/streams/{Http.Escaped(ring)}/state");
        now.Version.ShouldBe(6);
        KeyStates(now).ShouldBe([(keys.First, "Available"), (keys.Second, "Active")]);

        var atFive = await op.OkAsync<AggregateStateView>($"/v1/operator/streams/{Http.Escaped(ring)}/state?version=5");
        KeyStates(atFive).ShouldBe([(keys.First, "Active"), (keys.Second, "Installing")]);
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task The_ring_as_of_a_time_applies_the_events_recorded_at_or_before_it_S3()
    {
        var op = fixture.Operator();
        var events = (await op.EventsAsync(ring)).Items;

        var atActivation = await op.OkAsync<AggregateStateView>(
            $"/v1/operator/streams/{Http.Escaped(ring)}/state?at={Http.Escaped(events[2].Timestamp.ToString("O"))}");
        atActivation.Version.ShouldBe(3);
        atActivation.AsOfTime.ShouldBe(events[2].Timestamp);
        atActivation.LastEventAt.ShouldBe(events[2].Timestamp);
        KeyStates(atActivation).ShouldBe([(keys.First, "Active")]);

        // The first upload appended two events in one transaction: they share their recording time.
        var justBefore = events[2].Timestamp.AddTicks(-10);
        var installing = await op.OkAsync<AggregateStateView>(
            $"/v1/operator/streams/{Http.Escaped(ring)}/state?at={Http.Escaped(justBefore.ToString("O"))}");
        installing.Version.ShouldBe(2);
        KeyStates(installing).ShouldBe([(keys.First, "Installing")]);

        var tooEarly = await (await op.GetAsync(
                $"/v1/operator/streams/{Http.Escaped(ring)}/state?at={Http.Escaped(events[0].Timestamp.AddSeconds(-1).ToString("O"))}"))
            .ProblemAsync(HttpStatusCode.BadRequest);
        tooEarly.Detail!.ShouldContain("no event recorded at or before");
    }

    [Theory]
    [Trait("Rule", "S3")]
    [InlineData("?at=yesterday", "ISO-8601")]
    [InlineData("?at=05%2F01%2F2026", "ISO-8601")]
    [InlineData("?version=0", "version must be a whole number of at least 1")]
    [InlineData("?version=three", "version")] // refused by the binder, which names the parameter in its own words
    [InlineData("?version=7", "is at version 6; version 7 does not exist")]
    [InlineData("?version=2&at=2026-01-05", "either version or at")]
    public async Task A_bad_time_or_version_is_a_400_that_says_what_is_expected_S3(string query, string reason)
    {
        var problem = await (await fixture.Operator().GetAsync($"/v1/operator/streams/{Http.Escaped(ring)}/state{query}"))
            .ProblemAsync(HttpStatusCode.BadRequest);

        problem.Rule.ShouldBe(Rules.Validation);
        problem.Detail!.ShouldContain(reason);
    }

    [Theory]
    [Trait("Rule", "S3")]
    [InlineData("tenant-key:{0}:mars", "No stream 'tenant-key:{0}:mars' in this service.")]
    [InlineData("environment:{0}", "No aggregate is registered for stream 'environment:{0}'")]
    public async Task An_unknown_stream_or_a_prefix_without_an_aggregate_is_a_404_S3(string key, string reason)
    {
        var streamKey = string.Format(System.Globalization.CultureInfo.InvariantCulture, key, tenant);

        var problem = await (await fixture.Operator().GetAsync($"/v1/operator/streams/{Http.Escaped(streamKey)}/state"))
            .ProblemAsync(HttpStatusCode.NotFound);

        problem.Rule.ShouldBe(Rules.NotFound);
        problem.Detail!.ShouldStartWith(string.Format(System.Globalization.CultureInfo.InvariantCulture, reason, tenant));
    }

    public static TheoryData<string, string> OperatorEndpoints => new()
    {
        { "GET", "/v1/operator/streams" },
        { "GET", "/v1/operator/streams/tenant%3Ax/events" },
        { "GET", "/v1/operator/streams/tenant%3Ax/state" },
        { "GET", "/v1/operator/projections" },
        { "POST", "/v1/operator/projections/TenantKeyRing/rebuild" },
        { "POST", "/v1/operator/projections/rebuild" },
    };

    [Theory]
    [Trait("Rule", "S3")]
    [MemberData(nameof(OperatorEndpoints))]
    public async Task A_tenant_admin_is_refused_every_operator_endpoint_with_a_403_S3(string method, string path)
    {
        var admin = fixture.AdminOf(tenant);

        var problem = await (await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).ProblemAsync(HttpStatusCode.Forbidden);

        problem.Rule.ShouldBe(Rules.Authorization);
        problem.Detail.ShouldBe("Only a platform operator may do this.");
    }

    private static string? Header(StreamEventView e, string name) =>
        e.Headers.TryGetValue(name, out var value) && value is JsonElement { ValueKind: JsonValueKind.String } text ? text.GetString() : null;

    private static (string, string)[] KeyStates(AggregateStateView view) =>
        ((JsonElement)view.State!).GetProperty("keys").EnumerateArray()
        .Select(k => (k.GetProperty("keyId").GetString()!, k.GetProperty("state").GetString()!)).ToArray();
}
