using System.CommandLine;

namespace KeyPlatform.Cli.Operator;

/// <summary>A service the CLI talks to: its name and base URL.</summary>
public sealed record ServiceEndpoint(string Alias, string Name, Uri Url)
{
    public override string ToString() =>
        Name == Url.Authority ? Url.GetLeftPart(UriPartial.Authority) : $"{Name} ({Url.GetLeftPart(UriPartial.Authority)})";
}

/// <summary>The <c>--service keys|environments|locks</c> and <c>--url</c> options every operator command shares, and
/// the defaults: <c>KP_KEYSERVICE_URL</c> (http://127.0.0.1:5101), <c>KP_ENVIRONMENTENCRYPTION_URL</c> (5102),
/// <c>KP_TENANTLOCK_URL</c> (5103).</summary>
public sealed class ServiceTarget
{
    public const string Keys = "keys", Environments = "environments", Locks = "locks";

    private static readonly (string Alias, string Name, string Variable, string Default)[] Known =
    [
        (Keys, "key-service", "KP_KEYSERVICE_URL", "http://127.0.0.1:5101"),
        (Environments, "environment-encryption", "KP_ENVIRONMENTENCRYPTION_URL", "http://127.0.0.1:5102"),
        (Locks, "tenant-lock", "KP_TENANTLOCK_URL", "http://127.0.0.1:5103"),
    ];

    public Option<string?> Service { get; } = new Option<string?>("--service")
    {
        Description = "The service to ask: keys, environments or locks",
    }.AcceptOnlyFromAmong(Keys, Environments, Locks);

    public Option<string?> Url { get; } = new("--url") { Description = "The service's base URL (instead of --service)" };

    public void AddTo(Command command)
    {
        command.Options.Add(Service);
        command.Options.Add(Url);
    }

    public bool IsChosen(ParseResult parse) => parse.GetValue(Service) is not null || parse.GetValue(Url) is not null;

    /// <summary>The service of <c>--url</c>, else of <c>--service</c>, else <paramref name="fallback"/>.</summary>
    public ServiceEndpoint Resolve(ParseResult parse, CliEnvironment environment, string fallback)
    {
        var alias = parse.GetValue(Service) ?? fallback;
        if (parse.GetValue(Url) is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new CliFailure(ExitCodes.BadInput, $"--url '{text}' is not an http(s) URL such as http://127.0.0.1:5101.");
            return new ServiceEndpoint(alias, parse.GetValue(Service) is null ? url.Authority : NameOf(alias), url);
        }
        return Default(alias, environment);
    }

    public static IReadOnlyList<ServiceEndpoint> All(CliEnvironment environment) => Known.Select(k => Default(k.Alias, environment)).ToList();

    public static ServiceEndpoint Default(string alias, CliEnvironment environment)
    {
        var known = Known.Single(k => k.Alias == alias);
        var text = environment.Variable(known.Variable) is { Length: > 0 } configured ? configured : known.Default;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
            throw new CliFailure(ExitCodes.BadInput, $"{known.Variable} '{text}' is not a URL.");
        return new ServiceEndpoint(alias, known.Name, url);
    }

    /// <summary>The service that owns a stream, from its key's prefix.</summary>
    public static string ForStream(string streamKey) =>
        streamKey.StartsWith("tenant-lock:", StringComparison.Ordinal) ? Locks
        : streamKey.StartsWith("environment:", StringComparison.Ordinal) || streamKey.StartsWith("tenant-facts:", StringComparison.Ordinal)
          || streamKey.StartsWith("rewrap:", StringComparison.Ordinal) ? Environments
        : Keys;

    private static string NameOf(string alias) => Known.Single(k => k.Alias == alias).Name;
}
