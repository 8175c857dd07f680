using System.Diagnostics;
using System.Globalization;
using KeyPlatform.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Faults;

/// <summary>
/// Named points in production code where a fault drill kills the process, as a power cut or the OOM killer would: no
/// graceful shutdown, no flush, whatever the process was in the middle of (docs/decisions/0022). A point is a name,
/// <c>service.step</c> (e.g. <c>key-service.key-imported</c>); the code reaching it calls <see cref="Reach"/>. The process
/// dies at the point named by <c>Testing:Faults:Crash</c>, on its <c>Testing:Faults:CrashAtHit</c>-th reach (1 unless set),
/// and only on a Development or Testing host: anywhere else the setting is ignored, with one warning at start-up.
/// </summary>
/// <remarks>
/// The kill is a SIGKILL of the process itself (<see cref="Process.Kill()"/>), not <see cref="Environment.FailFast(string)"/>:
/// FailFast aborts, and an abort may write a core dump, which would hold whatever key material the process had in memory.
/// </remarks>
public sealed class FaultPoints : IHostedService
{
    public const string CrashKey = "Testing:Faults:Crash";
    public const string CrashAtHitKey = "Testing:Faults:CrashAtHit";

    private readonly string? configured;
    private readonly string? armed;
    private readonly int atHit;
    private readonly string environmentName;
    private readonly ILogger<FaultPoints> logger;
    private int hits;

    public FaultPoints(IConfiguration configuration, IHostEnvironment environment, ILogger<FaultPoints> logger)
    {
        this.logger = logger;
        environmentName = environment.EnvironmentName;
        configured = string.IsNullOrWhiteSpace(configuration[CrashKey]) ? null : configuration[CrashKey]!.Trim();
        armed = DevelopmentFallbacks.AllowedIn(environmentName) ? configured : null;
        // Read only where a point is armed: on a host that ignores the drill settings, a bad count must not stop the start.
        var hit = configuration[CrashAtHitKey];
        atHit = 1;
        if (armed is not null && !string.IsNullOrWhiteSpace(hit)
            && !(int.TryParse(hit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out atHit) && atHit >= 1))
            throw new InvalidOperationException($"{CrashAtHitKey} must be a whole number of at least 1.");
    }

    /// <summary>The process reached <paramref name="point"/>: returns at once, unless a drill armed this point and this is the
    /// reach it counts to, in which case it never returns.</summary>
    public void Reach(string point)
    {
        if (armed is null || !string.Equals(point, armed, StringComparison.Ordinal)) return;
        if (Interlocked.Increment(ref hits) < atHit) return;

        // Straight to the standard error (the console writer flushes each line): a logger may buffer, and nothing is flushed
        // after this line.
        Console.Error.WriteLine($"Fault point '{point}' reached (reach {atHit}, {CrashKey}): the process kills itself.");
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite); // a SIGKILL of oneself is delivered before kill(2) returns; never get past here
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (configured is not null && armed is null)
            logger.LogWarning("{Setting} is set, and ignored: fault points are for Development and Testing hosts only, not {Environment}.",
                CrashKey, environmentName);
        else if (armed is not null)
            logger.LogWarning("Fault drill: this process kills itself at fault point {FaultPoint}, on reach {Reach}.", armed, atHit);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
