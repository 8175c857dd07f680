using System.CommandLine;
using System.Globalization;
using KeyPlatform.ServiceDefaults.Time;

namespace KeyPlatform.Cli;

/// <summary><c>keyplatform clock</c>: moves time for every service started with <c>Testing__ClockOffsetFile</c>
/// pointing at the same file (never possible in Production).</summary>
public static class ClockCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file")
        {
            Description = "The offset file the services watch",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Testing__ClockOffsetFile") ?? ".data/clock-offset",
        };
        var offset = new Argument<string>("offset") { Description = "New offset from real time, e.g. 3.00:00:00 or 72:00:00" };

        var set = new Command("set", "Set the offset of the services' clock from real time") { offset, file };
        set.SetAction(parse =>
        {
            if (!TimeSpan.TryParse(parse.GetValue(offset), CultureInfo.InvariantCulture, out var value))
            {
                Console.Error.WriteLine($"'{parse.GetValue(offset)}' is not a time span (try 3.00:00:00 for three days).");
                return 2;
            }
            OffsetFileTimeProvider.WriteOffset(parse.GetValue(file)!, value);
            Console.WriteLine($"Clock offset is now {value:c}; services now read {DateTimeOffset.UtcNow + value:O}.");
            return 0;
        });

        var show = new Command("show", "Show the offset and the time the services read") { file };
        show.SetAction(parse =>
        {
            var clock = new OffsetFileTimeProvider(Path.GetFullPath(parse.GetValue(file)!));
            Console.WriteLine($"offset {clock.Offset:c}, now {clock.GetUtcNow():O}");
            return 0;
        });

        return new Command("clock", "Move time for end-to-end tests (not available in Production)") { set, show };
    }
}
