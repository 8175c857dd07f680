using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.Backbone.Tests.Commands;

// A command that exists only to exercise the HTTP command edge: every accepted AddTally appends one event, so a second
// decision shows as a second event, and its answer carries a fresh receipt, so a repeated answer shows as the same receipt.
public sealed record AddTally(string TenantId, string Counter, int Amount);
public sealed record TallyAdded(string Counter, int Amount, Guid Receipt);
public sealed record TallyReceipt(Guid Receipt, string Counter);

public sealed record Tally(string Id, int Total)
{
    public static string StreamKey(string tenantId, string counter) => $"tally:{tenantId}:{counter}";
    public static Tally Create(TallyAdded added) => new(added.Counter, added.Amount);
    public Tally Apply(TallyAdded added) => this with { Total = Total + added.Amount };
}

/// <summary>What the test changes while requests run: the largest amount the rule lets through (over it: refused
/// with K9 and a wait), a gate an amount of <see cref="GatedAmount"/> waits at, failures to throw.</summary>
public sealed class TallyRules
{
    public const int GatedAmount = 13, FailingAmount = 500, FailingAfterCommitAmount = 666;

    public int MaxAmount { get; set; } = int.MaxValue;
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int FailuresLeft { get; set; }
    public int Decisions;
}

public sealed class AddTallyHandler(StreamCommands streams, TallyRules rules) : ICommandHandler<AddTally>
{
    public async Task<CommandResult> HandleAsync(AddTally command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        Interlocked.Increment(ref rules.Decisions);
        if (command.Amount == TallyRules.GatedAmount)
        {
            rules.Entered.TrySetResult();
            await rules.Release.Task.WaitAsync(cancellationToken);
        }
        if (command.Amount == TallyRules.FailingAmount && rules.FailuresLeft-- > 0)
            throw new InvalidOperationException("the tally store is down");

        var receipt = Guid.NewGuid();
        var result = await streams.DecideAsync<Tally>(Tally.StreamKey(command.TenantId, command.Counter), context,
            (_, now) => command.Amount > rules.MaxAmount
                ? Decision.Refuse(Rules.K9, $"At most {rules.MaxAmount} at a time.", now.AddHours(1))
                : Decision.Emit(new TallyAdded(command.Counter, command.Amount, receipt)),
            cancellationToken);
        if (command.Amount == TallyRules.FailingAfterCommitAmount) throw new InvalidOperationException("lost after the commit");
        return result.IsRefused ? result : CommandResult.Accepted(new TallyReceipt(receipt, command.Counter));
    }
}

public static class Tallies
{
    public sealed record AddRequest(int Amount);

    public static void AddTallies(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TallyRules>();
        builder.Services.AddScoped<ICommandHandler<AddTally>, AddTallyHandler>();
    }

    public static void MapTallies(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/tenants/{tenantId}/tallies/{counter}", (HttpContext http, string tenantId, string counter, AddRequest body) =>
            CommandEndpoints.Dispatch(http, new AddTally(tenantId, counter, body.Amount),
                response => Results.Created($"/v1/tenants/{tenantId}/tallies/{counter}/{((TallyReceipt)response!).Receipt}", response)));
}
