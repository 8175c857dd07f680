using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Environments;
using Microsoft.Extensions.Time.Testing;

namespace EnvironmentEncryption.Tests;

public sealed class DataKeyCacheTests
{
    private readonly FakeTimeProvider clock = new(An.T0);

    private DataKeyCache Cache(int size = 3) =>
        new(new EnvironmentRules { DataKeyCacheSize = size, DataKeyCacheLifetime = TimeSpan.FromMinutes(5) }, clock);

    private static byte[] Key(byte value) => Enumerable.Repeat(value, 32).ToArray();

    [Fact]
    [Trait("Rule", "D2")]
    public void Keys_are_handed_out_as_copies_and_only_for_the_same_data_key_D2()
    {
        using var cache = Cache();
        cache.TryAdd("env-1", "dk-1", Key(7), cache.Ticket()).ShouldBeTrue();

        var copy = cache.TryGet("env-1", "dk-1")!;
        copy.ShouldBe(Key(7));
        Array.Clear(copy);
        cache.TryGet("env-1", "dk-1").ShouldBe(Key(7));
        cache.TryGet("env-1", "dk-reset").ShouldBeNull();
        cache.Contains("env-1").ShouldBeFalse();
    }

    [Fact]
    [Trait("Rule", "D4")]
    public void Evicting_an_environment_zeroes_its_key_and_stops_a_release_in_flight_from_putting_it_back_D4_E6()
    {
        using var cache = Cache();
        var ticketBeforeLock = cache.Ticket();
        cache.TryAdd("env-1", "dk-1", Key(7), ticketBeforeLock).ShouldBeTrue();
        var buffer = cache.BufferOf("env-1")!;

        cache.Evict("env-1");

        buffer.ShouldAllBe(b => b == 0);
        cache.Contains("env-1").ShouldBeFalse();
        cache.TryAdd("env-1", "dk-1", Key(7), ticketBeforeLock).ShouldBeFalse();
        cache.Contains("env-1").ShouldBeFalse();
        cache.TryAdd("env-1", "dk-1", Key(7), cache.Ticket()).ShouldBeTrue();
    }

    [Fact]
    [Trait("Rule", "D2")]
    public void The_cache_is_bounded_in_entries_and_in_time_and_zeroes_what_leaves_it_D2()
    {
        using var cache = Cache(size: 2);
        cache.TryAdd("env-1", "dk", Key(1), cache.Ticket());
        var first = cache.BufferOf("env-1")!;
        cache.TryAdd("env-2", "dk", Key(2), cache.Ticket());
        cache.TryGet("env-1", "dk");
        cache.TryAdd("env-3", "dk", Key(3), cache.Ticket());

        cache.Count.ShouldBe(2);
        cache.Contains("env-2").ShouldBeFalse(); // least recently used
        cache.Contains("env-1").ShouldBeTrue();

        clock.Advance(TimeSpan.FromMinutes(5));
        cache.Sweep().ShouldBe(2);
        cache.Count.ShouldBe(0);
        first.ShouldAllBe(b => b == 0);
    }

    [Fact]
    [Trait("Rule", "D2")]
    public void A_cache_of_size_zero_keeps_nothing_D2()
    {
        using var cache = Cache(size: 0);
        cache.TryAdd("env-1", "dk", Key(1), cache.Ticket()).ShouldBeFalse();
        cache.TryGet("env-1", "dk").ShouldBeNull();
    }
}
