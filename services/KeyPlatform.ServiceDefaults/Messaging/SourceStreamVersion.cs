using System.Globalization;
using System.Text;
using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>The stream and version of the event an integration event was relayed from: <see cref="IntegrationEventRelay"/>
/// stamps every message with them (headers <c>kp-stream</c>, <c>kp-stream-version</c>), so a consumer keeping the last fact
/// of another service's stream can tell an old event from a newer one (decision 0029).</summary>
public readonly record struct SourceStreamVersion(string Stream, long Version)
{
    public const string StreamHeader = "kp-stream";
    public const string VersionHeader = "kp-stream-version";

    /// <summary>The source of a received message; null when it carries none (a producer from before the headers, or a
    /// message not relayed from a stream, such as a refusal).</summary>
    public static SourceStreamVersion? Of(ConsumeContext context) =>
        Of(context.Headers.TryGetHeader(StreamHeader, out var stream) ? stream : null,
            context.Headers.TryGetHeader(VersionHeader, out var version) ? version : null);

    /// <summary>Reads the two header values as the broker hands them over (the version may arrive as a number of any width
    /// or as text); a missing or unreadable one means no source.</summary>
    public static SourceStreamVersion? Of(object? stream, object? version)
    {
        if (Text(stream) is not { Length: > 0 } streamKey) return null;
        long? number = version switch
        {
            long l => l,
            int i => i,
            short s => s,
            byte b => b,
            ulong u when u <= long.MaxValue => (long)u,
            uint u => u,
            _ when Text(version) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
        return number is > 0 ? new SourceStreamVersion(streamKey, number.Value) : null;
    }

    private static string? Text(object? value) => value switch
    {
        string text => text,
        byte[] utf8 => Encoding.UTF8.GetString(utf8),
        _ => null,
    };

    public void Stamp(SendContext context)
    {
        context.Headers.Set(StreamHeader, Stream);
        context.Headers.Set(VersionHeader, Version);
    }
}
