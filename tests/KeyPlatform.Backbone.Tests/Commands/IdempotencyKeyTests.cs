using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using Marten;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Backbone.Tests.Commands;

/// <summary>The Idempotency-Key of HTTP commands: a retry gets the first answer, never a second decision.</summary>
public sealed class IdempotencyKeyTests(TestBroker broker) : IClassFixture<TestBroker>
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

    private Task<BackboneHost> StartAsync(string name, FakeTimeProvider? clock = null) =>
        BackboneHost.StartAsync(broker.Schema(name), broker.VirtualHost, clock ?? new FakeTimeProvider(Start), relay: false,
            configure: builder => builder.AddTallies(), map: app => app.MapTallies());

    private HttpClient ClientOf(BackboneHost host, string subject)
    {
        var client = host.App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            DevTokens.Mint(new JwtOptions(), subject, tenant, [PlatformRoles.PowerPlatformAdmin]));
        return client;
    }

    private Task<HttpResponseMessage> AddAsync(HttpClient client, string counter, int amount, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/tallies/{counter}")
        {
            Content = JsonContent.Create(new { amount }),
        };
        if (key is not null) request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
        return client.SendAsync(request);
    }

    private static TallyRules Rules(BackboneHost host) => host.App.Services.GetRequiredService<TallyRules>();

    private async Task<int> EventsAsync(BackboneHost host, string counter) => await host.EventCountAsync(Tally.StreamKey(tenant, counter));

    private static async Task<string?> RuleOf(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.TryGetProperty("rule", out var rule) ? rule.GetString() : null;
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task The_same_key_twice_appends_one_event_and_answers_the_same_status_Location_and_body_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_repeat");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();

        var first = await AddAsync(client, "c1", 5, key);
        var second = await AddAsync(client, "c1", 5, key);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.Headers.Location.ShouldBe(first.Headers.Location);
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        second.Headers.GetValues(IdempotencyKeys.ReplayedHeader).ShouldBe(["true"]);
        first.Headers.Contains(IdempotencyKeys.ReplayedHeader).ShouldBeFalse();
        (await EventsAsync(host, "c1")).ShouldBe(1);
        Rules(host).Decisions.ShouldBe(1);

        // Without the header, nothing changes: every request decides.
        (await AddAsync(client, "c1", 5, null)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await AddAsync(client, "c1", 5, null)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await EventsAsync(host, "c1")).ShouldBe(3);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task The_same_key_with_another_body_is_refused_422_and_appends_nothing_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_mismatch");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();
        (await AddAsync(client, "c1", 5, key)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var other = await AddAsync(client, "c1", 6, key);

        other.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        other.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await RuleOf(other)).ShouldBe(KeyPlatform.Contracts.Rules.IdempotencyKey);
        (await EventsAsync(host, "c1")).ShouldBe(1);
        Rules(host).Decisions.ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task Another_caller_with_the_same_key_gets_an_answer_of_its_own_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_actors");
        var key = Guid.NewGuid().ToString();

        var alice = await AddAsync(ClientOf(host, "alice"), "c1", 5, key);
        var bob = await AddAsync(ClientOf(host, "bob"), "c1", 5, key);

        alice.StatusCode.ShouldBe(HttpStatusCode.Created);
        bob.StatusCode.ShouldBe(HttpStatusCode.Created);
        bob.Headers.Contains(IdempotencyKeys.ReplayedHeader).ShouldBeFalse();
        bob.Headers.Location.ShouldNotBe(alice.Headers.Location);
        (await EventsAsync(host, "c1")).ShouldBe(2);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task A_refusal_is_remembered_even_once_the_rule_would_allow_the_request_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_refusal");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();
        Rules(host).MaxAmount = 1;

        var refused = await AddAsync(client, "c1", 5, key);
        Rules(host).MaxAmount = int.MaxValue;
        var repeated = await AddAsync(client, "c1", 5, key);

        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await RuleOf(refused)).ShouldBe(KeyPlatform.Contracts.Rules.K9);
        repeated.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await repeated.Content.ReadAsStringAsync()).ShouldBe(await refused.Content.ReadAsStringAsync());
        repeated.Headers.RetryAfter.ShouldNotBeNull();
        (await EventsAsync(host, "c1")).ShouldBe(0);
        // A new key is a new request.
        (await AddAsync(client, "c1", 5, Guid.NewGuid().ToString())).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await EventsAsync(host, "c1")).ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public void An_empty_key_is_malformed_IDEMPOTENCY_KEY()
    {
        // HttpClient drops an empty header value before it is sent, so the HTTP theory below cannot send one.
        IdempotencyKeys.IsWellFormed("").ShouldBeFalse();
        IdempotencyKeys.IsWellFormed(null).ShouldBeFalse();
        IdempotencyKeys.IsWellFormed("a").ShouldBeTrue();
    }

    [Theory]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    [InlineData("   ")]
    [InlineData("tab\tinside")]
    [InlineData("bell\u0007")]
    [InlineData("clé")]
    [InlineData("long")]
    public async Task A_malformed_key_is_refused_400_and_appends_nothing_IDEMPOTENCY_KEY(string key)
    {
        await using var host = await StartAsync("idem_malformed");
        if (key == "long") key = new string('k', IdempotencyKeys.MaxLength + 1);

        var response = await AddAsync(ClientOf(host, "alice"), "c1", 5, key);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await RuleOf(response)).ShouldBe(KeyPlatform.Contracts.Rules.IdempotencyKey);
        (await EventsAsync(host, "c1")).ShouldBe(0);
        // The longest key allowed is accepted.
        (await AddAsync(ClientOf(host, "alice"), "c1", 5, new string('k', IdempotencyKeys.MaxLength))).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task A_retry_while_the_first_request_runs_is_told_to_wait_409_with_Retry_After_then_gets_the_first_answer_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_running");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();
        var rules = Rules(host);

        var first = AddAsync(client, "c1", TallyRules.GatedAmount, key);
        await rules.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var meanwhile = await AddAsync(client, "c1", TallyRules.GatedAmount, key);
        rules.Release.SetResult();
        var answered = await first;
        var after = await AddAsync(client, "c1", TallyRules.GatedAmount, key);

        meanwhile.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await RuleOf(meanwhile)).ShouldBe(KeyPlatform.Contracts.Rules.IdempotencyKey);
        meanwhile.Headers.RetryAfter!.Delta.ShouldNotBeNull();
        answered.StatusCode.ShouldBe(HttpStatusCode.Created);
        after.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await after.Content.ReadAsStringAsync()).ShouldBe(await answered.Content.ReadAsStringAsync());
        (await EventsAsync(host, "c1")).ShouldBe(1);
        rules.Decisions.ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task A_5xx_is_not_remembered_so_the_retry_decides_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_5xx");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();
        Rules(host).FailuresLeft = 1;

        var failed = await AddAsync(client, "c1", TallyRules.FailingAmount, key);
        var retried = await AddAsync(client, "c1", TallyRules.FailingAmount, key);

        failed.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        retried.StatusCode.ShouldBe(HttpStatusCode.Created);
        retried.Headers.Contains(IdempotencyKeys.ReplayedHeader).ShouldBeFalse();
        (await EventsAsync(host, "c1")).ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task A_command_committed_without_its_answer_is_never_decided_again_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_committed");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();

        // The effect commits (and with it, that the key's command committed); then the request fails before its answer.
        var failed = await AddAsync(client, "c1", TallyRules.FailingAfterCommitAmount, key);
        var retried = await AddAsync(client, "c1", TallyRules.FailingAfterCommitAmount, key);

        failed.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        retried.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await RuleOf(retried)).ShouldBe(KeyPlatform.Contracts.Rules.IdempotencyKey);
        (await EventsAsync(host, "c1")).ShouldBe(1);
        Rules(host).Decisions.ShouldBe(1);
    }

    [Fact]
    [Trait("Rule", "IDEMPOTENCY_KEY")]
    public async Task A_retry_whose_answer_row_was_lost_is_recognised_by_the_inbox_IDEMPOTENCY_KEY()
    {
        await using var host = await StartAsync("idem_inbox");
        var client = ClientOf(host, "alice");
        var key = Guid.NewGuid().ToString();
        (await AddAsync(client, "c1", 5, key)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await using (var session = host.Store.LightweightSession())
        {
            session.DeleteWhere<RememberedAnswer>(_ => true);
            await session.SaveChangesAsync();
        }

        var retried = await AddAsync(client, "c1", 5, key);

        retried.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await EventsAsync(host, "c1")).ShouldBe(1);
    }
}
