using System.CommandLine;
using Spectre.Console;
using System.Text.Json;

namespace KeyPlatform.Cli.Operator;

/// <summary><c>keyplatform locks status --tenant T [--region R]</c>: the progress of the tenant's latest lock in a
/// region (TenantLock's <c>GET /v1/tenants/{t}/regions/{r}/lock</c>), or every lock cycle of the tenant.</summary>
public static class LocksCommand
{
    public static Command Create(CliEnvironment environment) => new("locks", "Tenant locks (TenantLock)") { Status(environment) };

    private static Command Status(CliEnvironment environment)
    {
        var target = new ServiceTarget();
        var tenant = new Option<string>("--tenant") { Description = "The tenant", Required = true };
        var region = new Option<string?>("--region") { Description = "The region (without it: every lock cycle of the tenant)" };
        var json = CommandAction.JsonOption();
        var command = new Command("status", "Show lock progress: phase, environments locked of total, keys deleted, deadlines")
        {
            tenant, region, json,
        };
        target.AddTo(command);
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var tenantId = Uri.EscapeDataString(parse.GetValue(tenant)!);
            using var client = new OperatorClient(environment, target.Resolve(parse, environment, ServiceTarget.Locks));
            var body = parse.GetValue(region) is { } r
                ? await client.GetAsync($"/v1/tenants/{tenantId}/regions/{Uri.EscapeDataString(r)}/lock", cancellationToken)
                : await client.GetAsync($"/v1/tenants/{tenantId}/locks", cancellationToken);
            if (parse.GetValue(json))
            {
                Render.Json(environment, body);
                return;
            }
            var console = environment.CreateConsole();
            if (body.ValueKind == JsonValueKind.Array)
            {
                Render.Table(console, ["lock cycle", "region", "phase", "environments locked", "keys deleted", "requested", "by", "deletion due"],
                    body.EnumerateArray().Select(c => new[]
                    {
                        Render.Property(c, "lockCycleId"), Render.Property(c, "region"), Render.Property(c, "phase"),
                        $"{Render.Property(c, "environmentsLocked")} of {Render.Property(c, "environmentsTotal")}",
                        Render.Property(c, "keysDeleted"), Render.Property(c, "requestedAt"), Render.Property(c, "requestedBy"),
                        Render.Property(c, "deletionDueAt"),
                    }));
                console.WriteLine($"{body.GetArrayLength()} lock cycle(s) of {parse.GetValue(tenant)}");
            }
            else
            {
                Render.Fields(console, Render.FieldsOf(body));
            }
        });
        return command;
    }
}
