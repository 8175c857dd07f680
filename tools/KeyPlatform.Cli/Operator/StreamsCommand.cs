using System.CommandLine;
using Spectre.Console;
using System.Globalization;
using System.Net;
using System.Text.Json;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Cli.Operator;

/// <summary><c>keyplatform streams list|show|state</c> (S3). <c>show</c> and <c>state</c> pick the service from the
/// stream key's prefix unless <c>--service</c> or <c>--url</c> says otherwise; <c>list</c> asks KeyService by default.</summary>
public static class StreamsCommand
{
    public static Command Create(CliEnvironment environment) =>
        new("streams", "List streams, show a stream's events, show an aggregate as of a version or a time")
        {
            List(environment), Show(environment), State(environment),
        };

    private static Command List(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var prefix = new Option<string?>("--prefix") { Description = "Only streams whose key starts with this, e.g. tenant-key:" };
        var tenant = new Option<string?>("--tenant") { Description = "Only the streams of this tenant" };
        var limit = CommandAction.LimitOption();
        var after = CommandAction.AfterOption("stream key");
        var json = CommandAction.JsonOption();
        var command = new Command("list", "List the streams of a service (key, aggregate, version, created, last event)")
        {
            prefix, tenant, limit, after, json,
        };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var query = Query(("prefix", parse.GetValue(prefix)), ("tenant", parse.GetValue(tenant)),
                ("limit", Invariant(CommandAction.CheckedLimit(parse, limit))), ("after", parse.GetValue(after)));
            using var client = new OperatorClient(environment, target.Resolve(parse, environment, ServiceTarget.Keys));
            var page = await client.GetAsync<Page<StreamSummary>>("/v1/operator/streams" + query, cancellationToken);
            if (parse.GetValue(json))
            {
                Render.Json(environment, page);
                return;
            }
            var console = environment.CreateConsole();
            Render.Table(console, ["stream", "aggregate", "version", "created", "last event"], page.Items.Select(s =>
                new[] { s.Key, s.AggregateType, Render.Number(s.Version), Render.Time(s.Created), Render.Time(s.LastEventAt) }));
            console.WriteLine($"{page.Items.Count} stream(s) in {client.Service}");
            Render.NextPage(console, page.Next);
        });
        return command;
    }

    private static Command Show(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var key = new Argument<string>("key") { Description = "The stream key, e.g. tenant-key:contoso:europe" };
        var from = new Option<long?>("--from-version") { Description = "First version to show" };
        var to = new Option<long?>("--to-version") { Description = "Last version to show" };
        var limit = CommandAction.LimitOption();
        var after = CommandAction.AfterOption("version");
        var data = new Option<bool>("--data") { Description = "Add each event's data to the table" };
        var json = CommandAction.JsonOption();
        var command = new Command("show", "Show a stream's events with their metadata (actor, correlation and causation ids)")
        {
            key, from, to, limit, after, data, json,
        };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var stream = parse.GetValue(key)!;
            var first = Positive(parse.GetValue(from), "--from-version");
            var last = Positive(parse.GetValue(to), "--to-version");
            if (first > last) throw new CliFailure(ExitCodes.BadInput, $"--from-version {first} is after --to-version {last}.");
            var query = Query(("fromVersion", Invariant(first)), ("toVersion", Invariant(last)),
                ("limit", Invariant(CommandAction.CheckedLimit(parse, limit))), ("after", parse.GetValue(after)));
            using var client = new OperatorClient(environment, target.Resolve(parse, environment, ServiceTarget.ForStream(stream)));
            var page = await StreamCallAsync(client, stream,
                () => client.GetAsync<Page<StreamEventView>>($"/v1/operator/streams/{Uri.EscapeDataString(stream)}/events{query}", cancellationToken));
            if (parse.GetValue(json))
            {
                Render.Json(environment, page);
                return;
            }
            var console = environment.CreateConsole();
            var withData = parse.GetValue(data);
            string[] headers = ["version", "sequence", "recorded", "event", "actor", "correlation id", "causation id"];
            Render.Table(console, withData ? [.. headers, "data"] : headers, page.Items.Select(e =>
            {
                string?[] row = [Render.Number(e.Version), Render.Number(e.Sequence), Render.Time(e.Timestamp), e.ClrType ?? e.Type, e.Actor,
                    e.CorrelationId, e.CausationId];
                return withData ? [.. row, e.Data is JsonElement d ? d.GetRawText() : null] : row;
            }));
            console.WriteLine($"{page.Items.Count} event(s) of {stream} in {client.Service}");
            Render.NextPage(console, page.Next);
        });
        return command;
    }

    private static Command State(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var key = new Argument<string>("key") { Description = "The stream key, e.g. tenant-key:contoso:europe" };
        var version = new Option<long?>("--version") { Description = "The aggregate after this version" };
        var at = new Option<string?>("--at") { Description = $"The aggregate as it was at this time: {IsoTime.Expected}" };
        var json = CommandAction.JsonOption();
        var command = new Command("state", "Show an aggregate as of a version or a time (live aggregation of its events)")
        {
            key, version, at, json,
        };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var stream = parse.GetValue(key)!;
            var asOfVersion = Positive(parse.GetValue(version), "--version");
            DateTimeOffset? asOf = null;
            if (parse.GetValue(at) is { } text)
            {
                if (!IsoTime.TryParse(text, out var parsed))
                    throw new CliFailure(ExitCodes.BadInput, $"--at '{text}' is not a time: expected {IsoTime.Expected}.");
                asOf = parsed;
            }
            if (asOfVersion is not null && asOf is not null) throw new CliFailure(ExitCodes.BadInput, "Give --version or --at, not both.");
            var query = Query(("version", Invariant(asOfVersion)),
                ("at", asOf?.ToString("O", CultureInfo.InvariantCulture)));
            using var client = new OperatorClient(environment, target.Resolve(parse, environment, ServiceTarget.ForStream(stream)));
            var view = await StreamCallAsync(client, stream,
                () => client.GetAsync<AggregateStateView>($"/v1/operator/streams/{Uri.EscapeDataString(stream)}/state{query}", cancellationToken));
            if (parse.GetValue(json))
            {
                Render.Json(environment, view);
                return;
            }
            var console = environment.CreateConsole();
            Render.Fields(console,
            [
                ("stream", view.Stream),
                ("aggregate", view.AggregateType),
                ("version", $"{view.Version} of {view.StreamVersion}"),
                ("as of", view.AsOfTime is { } time ? Render.Time(time) : view.AsOfVersion is { } v ? $"version {v}" : "now"),
                ("last event recorded", Render.Time(view.LastEventAt)),
                ("service", client.Service.ToString()),
            ]);
            environment.Out.WriteLine(JsonSerializer.Serialize(view.State, OperatorClient.Json));
        });
        return command;
    }

    /// <summary>An unknown stream is exit code 1 with "no stream 'x'".</summary>
    private static async Task<T> StreamCallAsync<T>(OperatorClient client, string stream, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (CliFailure failure) when (failure.Status == HttpStatusCode.NotFound
                                         && failure.Detail?.StartsWith("No stream '", StringComparison.Ordinal) == true)
        {
            throw new CliFailure(ExitCodes.Refused, $"no stream '{stream}' in {client.Service}", failure.Status, failure.Detail);
        }
    }

    private static long? Positive(long? value, string option) =>
        value is null or >= 1 ? value : throw new CliFailure(ExitCodes.BadInput, $"{option} must be 1 or more, not {value}.");

    private static string? Invariant(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    internal static string Query(params (string Name, string? Value)[] values)
    {
        var present = values.Where(v => !string.IsNullOrEmpty(v.Value)).Select(v => $"{v.Name}={Uri.EscapeDataString(v.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join("&", present);
    }
}
