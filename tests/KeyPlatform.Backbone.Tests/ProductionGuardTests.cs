using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Faults;
using KeyPlatform.Testing;
using KeyPlatform.ServiceDefaults.Time;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyPlatform.Backbone.Tests;

/// <summary>What is safe in development must not be possible in Production.</summary>
public sealed class ProductionGuardTests
{
    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name };

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact]
    public void Production_refuses_to_start_with_the_development_signing_key()
    {
        var error = Should.Throw<InvalidOperationException>(() =>
            new ServiceCollection().AddPlatformAuthentication(Config(), Environment(Environments.Production)));
        error.Message.ShouldContain("Auth:SigningKey");
    }

    [Theory]
    [InlineData("Staging")]
    [InlineData("qa")]
    [InlineData("Production")]
    public void Only_Development_and_Testing_hosts_start_with_the_development_signing_key_or_the_moving_clock(string name)
    {
        Should.Throw<InvalidOperationException>(() => new ServiceCollection().AddPlatformAuthentication(Config(), Environment(name)))
            .Message.ShouldContain(name);
        Should.Throw<InvalidOperationException>(() =>
            ClockControl.CreateTimeProvider(Config((ClockControl.OffsetFileKey, "clock-offset.txt")), Environment(name)));
        Should.NotThrow(() => new ServiceCollection().AddPlatformAuthentication(Config(), Environment(Environments.Development)));
        Should.NotThrow(() => new ServiceCollection().AddPlatformAuthentication(Config(), Environment("Testing")));
    }

    /// <summary>A fault drill's setting left on a Production host (docs/decisions/0022) is ignored, and said so once: reaching
    /// the point returns (were it armed, this test's own process would die here).</summary>
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task A_fault_point_armed_on_a_host_other_than_Development_or_Testing_is_ignored_with_one_warning(string name)
    {
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(logging => logging.AddProvider(logs));
        var faults = new FaultPoints(Config((FaultPoints.CrashKey, "backbone.test-point")), Environment(name), loggers.CreateLogger<FaultPoints>());
        await faults.StartAsync(CancellationToken.None);

        faults.Reach("backbone.test-point");
        faults.Reach("backbone.test-point");

        logs.Lines.ShouldHaveSingleItem().ShouldContain($"{FaultPoints.CrashKey} is set, and ignored");
        logs.Lines.Single().ShouldContain(name);
        // A bad count is no reason to stop a host that ignores the drill settings anyway.
        Should.NotThrow(() => new FaultPoints(Config((FaultPoints.CrashKey, "backbone.test-point"), (FaultPoints.CrashAtHitKey, "-1")),
            Environment(name), loggers.CreateLogger<FaultPoints>()));
    }

    /// <summary>Where a drill is armed, a count that is not a whole number of at least 1 stops the start and names the setting.</summary>
    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("two")]
    public void An_armed_fault_point_with_a_count_below_one_stops_the_start_naming_the_setting(string count) =>
        Should.Throw<InvalidOperationException>(() => new FaultPoints(
                Config((FaultPoints.CrashKey, "backbone.test-point"), (FaultPoints.CrashAtHitKey, count)), Environment("Testing"),
                NullLogger<FaultPoints>.Instance))
            .Message.ShouldContain(FaultPoints.CrashAtHitKey);

    [Fact]
    public void Production_starts_with_a_configured_signing_key() =>
        Should.NotThrow(() => new ServiceCollection().AddPlatformAuthentication(
            Config(("Auth:SigningKey", new string('k', 48))), Environment(Environments.Production)));

    [Fact]
    public void Production_starts_with_an_identity_provider_and_no_signing_key() =>
        Should.NotThrow(() => new ServiceCollection().AddPlatformAuthentication(
            Config(("Auth:Authority", "https://login.example.com/tenant/v2.0")), Environment(Environments.Production)));

    [Fact]
    public void Production_refuses_discovery_over_plain_HTTP()
    {
        var config = Config(("Auth:Authority", "http://idp.example.com"), ("Auth:RequireHttpsMetadata", "false"));
        Should.Throw<InvalidOperationException>(() => new ServiceCollection().AddPlatformAuthentication(config, Environment(Environments.Production)))
            .Message.ShouldContain("Auth:RequireHttpsMetadata");
        Should.NotThrow(() => new ServiceCollection().AddPlatformAuthentication(config, Environment("Testing")));
    }

    [Fact]
    public void Moving_time_cannot_be_switched_on_in_Production()
    {
        var config = Config((ClockControl.OffsetFileKey, "clock-offset.txt"));
        Should.Throw<InvalidOperationException>(() => ClockControl.CreateTimeProvider(config, Environment(Environments.Production)));
        ClockControl.CreateTimeProvider(config, Environment("Testing")).ShouldBeOfType<OffsetFileTimeProvider>();
        ClockControl.CreateTimeProvider(Config(), Environment(Environments.Production)).ShouldBe(TimeProvider.System);
    }

    [Fact]
    public void The_offset_clock_follows_the_file_that_the_tests_write()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kp-clock-{Guid.NewGuid():N}.txt");
        try
        {
            var clock = new OffsetFileTimeProvider(path);
            clock.Offset.ShouldBe(TimeSpan.Zero);
            OffsetFileTimeProvider.WriteOffset(path, TimeSpan.FromHours(72));
            clock.Offset.ShouldBe(TimeSpan.FromHours(72));
            (clock.GetUtcNow() - DateTimeOffset.UtcNow).ShouldBeGreaterThan(TimeSpan.FromHours(71.9));
            OffsetFileTimeProvider.WriteOffset(path, TimeSpan.FromDays(28));
            clock.Offset.ShouldBe(TimeSpan.FromDays(28));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
