using System.CommandLine;
using KeyPlatform.ServiceDefaults.Operations;
using Spectre.Console;

namespace KeyPlatform.Cli.Operator;

/// <summary><c>keyplatform projections list|rebuild</c> (S3): rebuild one projection or every projection of a service
/// from its events, one after the other with a progress display, then a table of events processed and time taken.</summary>
public static class ProjectionsCommand
{
    public static Command Create(CliEnvironment environment) =>
        new("projections", "List projections, rebuild them from the events") { List(environment), Rebuild(environment) };

    private static Command List(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var json = CommandAction.JsonOption();
        var command = new Command("list", "List the projections of a service") { json };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            using var client = new OperatorClient(environment, target.Resolve(parse, environment, ServiceTarget.Keys));
            var projections = await client.GetAsync<List<ProjectionView>>("/v1/operator/projections", cancellationToken);
            if (parse.GetValue(json))
            {
                Render.Json(environment, projections);
                return;
            }
            var console = environment.CreateConsole();
            Render.Table(console, ["projection", "kind", "lifecycle", "document", "events"], projections.Select(p =>
                new[] { p.Name, p.Kind, p.Lifecycle, p.DocumentType, p.EventTypes.Count == 0 ? "all" : string.Join(", ", p.EventTypes) }));
        });
        return command;
    }

    private static Command Rebuild(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var name = new Argument<string?>("name") { Description = "The projection to rebuild (see 'projections list')", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Rebuild every projection of the service" };
        var json = CommandAction.JsonOption();
        var command = new Command("rebuild", "Rebuild projections from the events and report events processed and time taken") { name, all, json };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var one = parse.GetValue(name);
            if ((one is null) != parse.GetValue(all))
                throw new CliFailure(ExitCodes.BadInput, "Name one projection, or pass --all (not both).");
            using var client = new OperatorClient(environment, target.Resolve(parse, environment, ServiceTarget.Keys));
            var names = one is not null
                ? [one]
                : (await client.GetAsync<List<ProjectionView>>("/v1/operator/projections", cancellationToken)).Select(p => p.Name).ToList();

            var console = environment.CreateConsole();
            await environment.Error.WriteLineAsync(
                "note: inline projections are rebuilt in place; the service's commands wait until the rebuild is done.");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var results = new List<ProjectionRebuildView>();
            async Task RebuildAsync(string projection) => results.AddRange((await client.PostAsync<ProjectionsRebuildView>(
                $"/v1/operator/projections/{Uri.EscapeDataString(projection)}/rebuild", cancellationToken)).Projections);

            if (parse.GetValue(json) || names.Count == 0)
                foreach (var projection in names) await RebuildAsync(projection);
            else if (environment.Interactive)
                await console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                        new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"{client.Service.Name}: rebuilding", maxValue: names.Count);
                        foreach (var projection in names)
                        {
                            task.Description = $"{client.Service.Name}: {projection}";
                            await RebuildAsync(projection);
                            task.Increment(1);
                        }
                        task.Description = $"{client.Service.Name}: {names.Count} rebuilt";
                    });
            else
                foreach (var (projection, index) in names.Select((p, i) => (p, i + 1)))
                {
                    console.WriteLine($"[{index}/{names.Count}] rebuilding {projection} in {client.Service} ...");
                    await RebuildAsync(projection);
                }

            var report = new ProjectionsRebuildView(results, results.Sum(r => r.EventsProcessed), watch.Elapsed.TotalMilliseconds);
            if (parse.GetValue(json))
            {
                Render.Json(environment, report);
                return;
            }
            Render.Table(console, ["projection", "events processed", "high-water mark", "time"], results.Select(r =>
                new[] { r.Name, Render.Number(r.EventsProcessed), Render.Number(r.HighWaterMark), Render.Milliseconds(r.DurationMs) }));
            console.WriteLine($"{results.Count} projection(s) rebuilt from {report.EventsProcessed} event(s) in {Render.Milliseconds(report.DurationMs)}");
        });
        return command;
    }
}
