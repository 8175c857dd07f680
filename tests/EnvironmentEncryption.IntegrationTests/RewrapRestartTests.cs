using System.Diagnostics;
using System.Net;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.Testing;
using Marten;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>Its own hosts: this test stops EnvironmentEncryption in the middle of a rewrap and starts it again.</summary>
public sealed class RewrapRestartFixture : PlatformFixture
{
    protected override IDictionary<string, string?> EnvironmentSettings => new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["EnvironmentEncryption:RewrapBatchSize"] = "10",
        ["EnvironmentEncryption:RewrapConcurrentBatches"] = "4",
    };
}

public sealed class RewrapRestartTests(RewrapRestartFixture platform, ITestOutputHelper output) : IClassFixture<RewrapRestartFixture>
{
    private const int Environments = 1000;

    [Fact]
    [Trait("Rule", "K8")]
    public async Task A_host_stopped_in_the_middle_of_rewrapping_1000_environments_resumes_and_rewraps_each_exactly_once_K8()
    {
        var clock = Stopwatch.StartNew();
        var tenant = await platform.TenantAsync();
        output.WriteLine($"tenant after {clock.Elapsed}");
        await platform.FirstKeyAsync(tenant);
        output.WriteLine($"key after {clock.Elapsed}");
        var environments = new string[Environments];
        await Parallel.ForAsync(0, Environments, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => environments[i] = await platform.RegisterAsync(tenant));
        output.WriteLine($"registered after {clock.Elapsed}");
        await Parallel.ForEachAsync(environments, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (environment, _) => (await platform.ApplyAsync(tenant, environment)).StatusCode.ShouldBe(HttpStatusCode.Accepted));
        await Eventually.TrueAsync(async () => (await StatesAsync(tenant)).Count(e => e.State == EnvironmentState.Active
            && e.Protection == EnvironmentProtection.TenantKey) == Environments, "1000 environments under the first key", TimeSpan.FromSeconds(90));
        output.WriteLine($"{Environments} environments registered and under the first key after {clock.Elapsed}");

        var second = await platform.ActivateAnotherKeyAsync(tenant);
        var rewrap = await Eventually.GetAsync(async () => (await ProgressAsync(tenant)).FirstOrDefault(r => r.TargetKeyId == second.KeyId),
            "the rewrap to start");
        rewrap.Total.ShouldBe(Environments);
        var atStop = await Eventually.GetAsync(async () =>
            (await ProgressAsync(tenant)).Single(r => r.RewrapId == rewrap.RewrapId) is { Done: >= 100 } p ? p : null,
            "the rewrap to be under way", TimeSpan.FromSeconds(60));
        await PlatformFixture.StopAsync(platform.Environments);
        output.WriteLine($"stopped with {atStop.Done} of {atStop.Total} done, after {clock.Elapsed}");
        atStop.Completed.ShouldBeFalse("the host must be stopped in the middle of the rewrap");

        platform.ReplaceEnvironments(platform.StartEnvironments());
        var done = await Eventually.GetAsync(async () =>
            (await ProgressAsync(tenant)).Single(r => r.RewrapId == rewrap.RewrapId) is { Completed: true } p ? p : null,
            "the rewrap to finish after the restart", TimeSpan.FromSeconds(90));
        output.WriteLine($"finished after {clock.Elapsed}: {done.Rewrapped} rewrapped, {done.Skipped} skipped, {done.Failed} failed");

        done.Done.ShouldBe(Environments);
        done.Failed.ShouldBe(0);
        await ShouldBeRewrappedExactlyOnceAsync(tenant, environments, second.KeyId);

        // Every rewrap message delivered again (as after a crash of the relay) changes nothing.
        var endpoint = await platform.Bus.GetSendEndpoint(new Uri($"queue:{Queues.EnvironmentEncryption}"));
        var replays = environments.Order(StringComparer.Ordinal).Chunk(10)
            .Select((ids, index) => new RewrapEnvironmentDataKeys(tenant, PlatformFixture.Region, rewrap.RewrapId, second.KeyId, index + 1000, ids))
            .ToList();
        var ids = replays.Select(_ => NewId.NextGuid()).ToList();
        for (var i = 0; i < replays.Count; i++)
        {
            var messageId = ids[i];
            await endpoint.Send(replays[i], context => context.MessageId = messageId);
        }
        await Eventually.TrueAsync(async () =>
        {
            foreach (var id in ids)
                if (!await platform.HandledAsync(nameof(RewrapEnvironmentDataKeysConsumer), id)) return false;
            return true;
        }, "the replayed rewrap messages to be handled", TimeSpan.FromSeconds(60));
        await ShouldBeRewrappedExactlyOnceAsync(tenant, environments, second.KeyId);
        output.WriteLine($"replay checked after {clock.Elapsed}");
    }

    private async Task ShouldBeRewrappedExactlyOnceAsync(string tenant, string[] environments, string keyId)
    {
        var states = await StatesAsync(tenant);
        states.Count.ShouldBe(Environments);
        states.ShouldAllBe(e => e.State == EnvironmentState.Active && e.TenantKeyId == keyId);

        await using var session = platform.Environments.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var rewrapped = await session.Events.QueryRawEventDataOnly<DataKeyRewrapped>().ToListAsync();
        var perEnvironment = rewrapped.Where(e => e.DataKey.TenantKeyId == keyId).GroupBy(e => e.RewrapId).ToList();
        var events = await session.Events.QueryAllRawEvents().Where(e => e.EventTypeName == "data_key_rewrapped").ToListAsync();
        var counts = events.Where(e => ((DataKeyRewrapped)e.Data).DataKey.TenantKeyId == keyId)
            .GroupBy(e => e.StreamKey!).ToDictionary(g => g.Key, g => g.Count());
        counts.Count.ShouldBe(Environments);
        foreach (var environment in environments)
            counts[TenantEnvironment.StreamKey(environment)].ShouldBe(1, $"{environment} rewrapped {counts.GetValueOrDefault(TenantEnvironment.StreamKey(environment))} times");
        perEnvironment.Sum(g => g.Count()).ShouldBe(Environments);
    }

    private async Task<List<TenantEnvironment>> StatesAsync(string tenant)
    {
        await using var session = platform.Environments.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Query<TenantEnvironment>().Where(e => e.TenantId == tenant).ToListAsync()).ToList();
    }

    private async Task<IReadOnlyList<RewrapProgressView>> ProgressAsync(string tenant) =>
        await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/rewraps")).ReadAsync<List<RewrapProgressView>>();
}
