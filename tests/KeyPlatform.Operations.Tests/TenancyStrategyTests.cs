using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.KeyService.Tenants;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Operations.Tests;

/// <summary>A service with streams of every kind of tenancy, on a schema of its own: keys that name the tenant,
/// keys that do not (the tenant is in the events, as in <c>environment:{id}</c>), keys the service looks up, and
/// streams of no tenant.</summary>
public sealed class TenancyHost : IAsyncLifetime
{
    public const string TenantA = "ab", TenantB = "abc";
    public static readonly Dictionary<string, string[]> Enablements = new()
    {
        [TenantA] = ["enablement:e1"],
        [TenantB] = ["enablement:e2"],
    };

    public TestBroker Broker { get; } = new();
    public ServiceHost<KeyServiceApp> Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        Host = new ServiceHost<KeyServiceApp>(Broker, "tenancy", configureServices: services => services.AddSingleton(new AggregateRegistry()
            .Stream<TenantEnablement>("seg:")
            .Stream<TenantKeyRing>("ring:", StreamTenancy.EventProperty("TenantId"))
            .Stream<TenantEnablement>("enablement:", StreamTenancy.Lookup((_, tenant, _) =>
                Task.FromResult<IReadOnlyList<string>>(Enablements.GetValueOrDefault(tenant) ?? [])))
            .Stream<TenantEnablement>("system:", StreamTenancy.None)));
        _ = Host.CreateClient();

        var now = Host.Clock.GetUtcNow();
        await using var session = Host.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        foreach (var (key, tenant) in new[] { ("seg:ab", TenantA), ("seg:abc", TenantB), ("seg:abc:2", TenantB) })
            session.Events.StartStream(key, Enabled(tenant, now));
        session.Events.StartStream("ring:1", new KeyAdded(TenantA, "europe", "k1", "one", "t1", "v1", TenantKeySource.UploadedPfx, now));
        session.Events.StartStream("ring:2", new KeyAdded(TenantB, "europe", "k2", "two", "t2", "v2", TenantKeySource.UploadedPfx, now));
        session.Events.StartStream("enablement:e1", Enabled(TenantA, now));
        session.Events.StartStream("enablement:e2", Enabled(TenantB, now));
        session.Events.StartStream("system:1", Enabled(TenantA, now));
        await session.SaveChangesAsync();
    }

    private static TenantEnabled Enabled(string tenant, DateTimeOffset at) => new(tenant, 1001, 0, 1001, at);

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

/// <summary>S4: how each kind of registration finds a tenant's streams, for the audit trail and the stream list.</summary>
public sealed class TenancyStrategyTests(TenancyHost fixture) : IClassFixture<TenancyHost>
{
    [Theory]
    [Trait("Rule", "S4")]
    [InlineData(TenancyHost.TenantA, new[] { "enablement:e1", "ring:1", "seg:ab" })]
    [InlineData(TenancyHost.TenantB, new[] { "enablement:e2", "ring:2", "seg:abc", "seg:abc:2" })]
    [InlineData("a", new string[0])]
    public async Task Each_registration_finds_exactly_the_tenants_streams_S4(string tenant, string[] streams)
    {
        var op = fixture.Host.OperatorClient();

        var audit = await op.OkAsync<Page<AuditEntry>>($"/v1/tenants/{tenant}/audit");
        var listed = await op.OkAsync<Page<StreamSummary>>($"/v1/operator/streams?tenant={tenant}");

        audit.Items.Select(e => e.Stream).ShouldBe(streams, ignoreOrder: true);
        listed.Items.Select(s => s.Key).ShouldBe(streams, ignoreOrder: true);
        audit.Items.ShouldAllBe(e => e.Service == "key-service");
    }

    [Fact]
    [Trait("Rule", "S4")]
    public async Task A_tenant_filter_with_a_LIKE_wildcard_lists_no_other_tenants_streams_S4()
    {
        // "a_c" is no tenant id (X3), but the operator filter must still not read '_' as "any character" ("abc").
        var listed = await fixture.Host.OperatorClient().OkAsync<Page<StreamSummary>>("/v1/operator/streams?tenant=a_c");

        listed.Items.ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task A_stream_whose_key_does_not_name_its_tenant_still_shows_its_aggregate_S3()
    {
        var state = await fixture.Host.OperatorClient().OkAsync<AggregateStateView>("/v1/operator/streams/ring%3A1/state");

        state.AggregateType.ShouldBe("TenantKeyRing");
        ((System.Text.Json.JsonElement)state.State!).GetProperty("tenantId").GetString().ShouldBe(TenancyHost.TenantA);
    }
}
