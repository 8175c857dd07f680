using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.TenantLock.Facts;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace TenantLock.IntegrationTests;

/// <summary>L3 is decided on what the saga keeps of EnvironmentEncryption's environments. Those facts follow each environment
/// stream's order (the relay's <c>kp-stream</c> and <c>kp-stream-version</c>): an event overtaken by a newer one of its stream
/// changes nothing, events of other streams are not held back, and an event without the headers (a producer from before
/// them) is applied as it arrives (decision 0029).</summary>
public sealed class ObservedOrderTests(TenantLockHost fixture) : IClassFixture<TenantLockHost>
{
    private const string Region = "europe";
    private readonly string tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
    private IDocumentStore Store => fixture.Host.Services.GetRequiredService<IDocumentStore>();

    private EnvironmentEncryptionChanged Changed(string environment, EnvironmentProtection protection, string state) =>
        new(tenant, Region, environment, environment, protection, protection == EnvironmentProtection.TenantKey ? "k1" : null, state,
            fixture.Host.Clock.GetUtcNow());

    private async Task<EnvironmentFacts?> FactsAsync(string environment)
    {
        await using var query = Store.QuerySession();
        return await query.LoadAsync<EnvironmentFacts>(environment);
    }

    private async Task<IReadOnlyList<string>> UnderTenantKeyAsync()
    {
        await using var query = Store.QuerySession();
        return await query.EnvironmentsUnderTenantKeyAsync(tenant, Region, CancellationToken.None);
    }

    [Fact]
    [Trait("Rule", "L3")]
    public async Task Two_changes_of_one_environment_delivered_out_of_order_end_in_the_newer_one_and_other_streams_are_not_held_back_L3()
    {
        await using var environments = await TestBus.StartAsync(fixture.Broker, Sender.EnvironmentEncryption);
        var returned = $"env-{TestInfrastructure.UniqueSuffix()}";
        var other = $"env-{TestInfrastructure.UniqueSuffix()}";

        // Version 5 (returned to the platform key) overtakes version 4 (under the tenant key) of the same stream.
        var newer = await environments.PublishFromStreamAsync(Changed(returned, EnvironmentProtection.PlatformKey, "Active"), $"environment:{returned}", 5);
        await Store.HandledAsync(newer, "version 5 handled");
        var older = await environments.PublishFromStreamAsync(Changed(returned, EnvironmentProtection.TenantKey, "Active"), $"environment:{returned}", 4);
        await Store.HandledAsync(older, "version 4 handled");
        // Another environment's stream at a lower version than the first one's is its own.
        var another = await environments.PublishFromStreamAsync(Changed(other, EnvironmentProtection.TenantKey, "Active"), $"environment:{other}", 2);
        await Store.HandledAsync(another, "the other environment's version 2 handled");

        (await FactsAsync(returned))!.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        (await FactsAsync(other))!.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        (await UnderTenantKeyAsync()).ShouldBe([other]);
    }

    [Fact]
    [Trait("Rule", "L3")]
    public async Task A_change_without_the_stream_headers_is_applied_as_it_arrives_L3()
    {
        await using var environments = await TestBus.StartAsync(fixture.Broker, Sender.EnvironmentEncryption);
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        var first = await environments.PublishWithIdAsync(Changed(environment, EnvironmentProtection.TenantKey, "Active"));
        await Store.HandledAsync(first, "the first change handled");
        (await FactsAsync(environment))!.Protection.ShouldBe(EnvironmentProtection.TenantKey);

        // After a stamped version 9, a change without headers still applies: nothing says it is older.
        var stamped = await environments.PublishFromStreamAsync(Changed(environment, EnvironmentProtection.TenantKey, "Updating"),
            $"environment:{environment}", 9);
        await Store.HandledAsync(stamped, "the stamped change handled");
        var unstamped = await environments.PublishWithIdAsync(Changed(environment, EnvironmentProtection.PlatformKey, "Active"));
        await Store.HandledAsync(unstamped, "the change without headers handled");

        var facts = (await FactsAsync(environment))!;
        facts.Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        facts.State.ShouldBe("Active");
    }
}
