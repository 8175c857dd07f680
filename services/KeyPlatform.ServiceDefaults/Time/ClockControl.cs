using KeyPlatform.Contracts;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace KeyPlatform.ServiceDefaults.Time;

/// <summary>Moves time for end-to-end tests across running processes: "now" is the system clock plus an offset
/// read from a file that every process of the system watches (<c>Testing:ClockOffsetFile</c>). The test writes
/// the offset (a TimeSpan, e.g. <c>3.00:00:00</c>) and every service sees it on its next read of the clock,
/// across restarts. Any host but Development and Testing refuses to start with it configured. See docs/decisions.</summary>
public sealed class OffsetFileTimeProvider(string path) : TimeProvider
{
    private readonly object gate = new();
    private DateTime lastWrite = DateTime.MinValue;
    private TimeSpan offset = TimeSpan.Zero;

    public string Path => path;

    public TimeSpan Offset
    {
        get
        {
            lock (gate)
            {
                var written = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
                if (written != lastWrite)
                {
                    lastWrite = written;
                    offset = ReadOffset();
                }
                return offset;
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    private TimeSpan ReadOffset()
    {
        try
        {
            var text = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
            return text.Length == 0 ? TimeSpan.Zero : TimeSpan.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return offset; // being rewritten; the next read sees the new value
        }
    }

    /// <summary>Writes a new offset atomically (temp file + rename), for tests and the CLI.</summary>
    public static void WriteOffset(string path, TimeSpan offset)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, offset.ToString("c", CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
        // a rename within a second can keep the same mtime granularity on some file systems: make it differ
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
    }
}

public static class ClockControl
{
    public const string OffsetFileKey = "Testing:ClockOffsetFile";

    /// <summary>The system clock, or the offset clock when configured in Development or Testing.</summary>
    public static TimeProvider CreateTimeProvider(IConfiguration configuration, IHostEnvironment environment)
    {
        var path = configuration[OffsetFileKey];
        if (string.IsNullOrWhiteSpace(path)) return TimeProvider.System;
        if (!DevelopmentFallbacks.AllowedIn(environment.EnvironmentName))
            throw new InvalidOperationException(
                $"{OffsetFileKey} is set: moving time is for Development and Testing hosts only, not {environment.EnvironmentName}.");
        return new OffsetFileTimeProvider(System.IO.Path.GetFullPath(path));
    }
}
