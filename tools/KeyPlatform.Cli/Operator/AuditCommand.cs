using System.CommandLine;
using Spectre.Console;
using System.Globalization;
using KeyPlatform.ServiceDefaults.Operations;

namespace KeyPlatform.Cli.Operator;

/// <summary><c>keyplatform audit --tenant T</c> (S4): who did what in the tenant, when, from which service, with which
/// correlation and causation ids. Without <c>--service</c> or <c>--url</c> it asks the three services and merges their
/// trails by time; every service must answer (a trail with a silent gap is worse than none).</summary>
public static class AuditCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var tenant = new Option<string>("--tenant") { Description = "The tenant", Required = true };
        var limit = CommandAction.LimitOption();
        var after = CommandAction.AfterOption("sequence number (with one service only)");
        var json = CommandAction.JsonOption();
        var command = new Command("audit", "A tenant's audit trail: time, service, stream, event, actor, correlation and causation ids")
        {
            tenant, limit, after, json,
        };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var tenantId = parse.GetValue(tenant)!;
            var max = CommandAction.CheckedLimit(parse, limit);
            var start = parse.GetValue(after);
            if (start is not null && !long.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new CliFailure(ExitCodes.BadInput, $"--after must be a sequence number, not '{start}'.");
            if (start is not null && !target.IsChosen(parse))
                throw new CliFailure(ExitCodes.BadInput, "--after is a position in one service's trail: add --service or --url.");
            var services = target.IsChosen(parse) ? [target.Resolve(parse, environment, ServiceTarget.Keys)] : ServiceTarget.All(environment);

            var entries = new List<AuditEntry>();
            string? next = null;
            foreach (var service in services)
            {
                using var client = new OperatorClient(environment, service);
                var cursor = start;
                var taken = new List<AuditEntry>();
                do
                {
                    var query = StreamsCommand.Query(("limit", (max - taken.Count).ToString(CultureInfo.InvariantCulture)), ("after", cursor));
                    var page = await client.GetAsync<Page<AuditEntry>>($"/v1/tenants/{Uri.EscapeDataString(tenantId)}/audit{query}", cancellationToken);
                    taken.AddRange(page.Items);
                    cursor = page.Next;
                } while (cursor is not null && taken.Count < max);
                entries.AddRange(taken);
                if (services.Count == 1) next = cursor;
            }
            var trail = entries.OrderBy(e => e.Time).ThenBy(e => e.Service, StringComparer.Ordinal).ThenBy(e => e.Sequence).Take(max).ToList();

            if (parse.GetValue(json))
            {
                Render.Json(environment, new Page<AuditEntry>(trail, next));
                return;
            }
            var console = environment.CreateConsole();
            Render.Table(console, ["time", "service", "stream", "event", "actor", "correlation id", "causation id"], trail.Select(e =>
                new[] { Render.Time(e.Time), e.Service, $"{e.Stream} v{e.Version}", e.ClrType ?? e.EventType, e.Actor, e.CorrelationId, e.CausationId }));
            console.WriteLine($"{trail.Count} event(s) of tenant {tenantId} from {string.Join(", ", services.Select(s => s.Name))}");
            Render.NextPage(console, next);
        });
        return command;
    }
}
