using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using MassTransit;

namespace KeyPlatform.Authorization.Tests;

/// <summary>Every message a consumer of a service takes has a row in the matrix. A command another platform service may
/// send for a user (<see cref="Sender.PlatformService"/>) is checked cell by cell as HTTP is: sent with each caller's
/// token and classified by the <see cref="CommandRefused"/> it gets (X2, S1). Every other message is one only our own
/// services may send (its row says which, as its <see cref="SentByAttribute"/> does), and one sent by a platform
/// service goes to the error queue refused at the bus edge.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BusAuthorizationMatrixTests(PlatformHosts platform)
{
    public const string Surface = "bus";

    private static readonly AuthorizationMatrix Matrix = AuthorizationMatrix.Load();

    private IEnumerable<(PlatformHost Host, Type Message)> Messages() =>
        from host in platform.Hosts from message in host.ConsumedMessages select (host, message);

    private static IReadOnlyList<Sender> SentBy(Type message) => message.GetCustomAttribute<SentByAttribute>()?.Senders ?? [];

    private static bool FromPlatformServices(Type message) =>
        SentBy(message).Contains(Sender.PlatformService) && typeof(ITenantCommand).IsAssignableFrom(message);

    [Fact]
    [Trait("Rule", "X2")]
    public void Every_consumed_message_has_a_row_and_every_row_a_consumer_X2()
    {
        var consumed = Messages().Select(m => $"{Surface} {m.Host.Service} {m.Message.Name}").ToHashSet();
        var rows = Matrix.Rows.Where(r => r.Surface == Surface).Select(r => r.Key).ToHashSet();
        Messages().Where(m => Matrix.Find(Surface, m.Host.Service, m.Message.Name) is null)
            .Select(m => $"{Surface}\t{m.Host.Service}\t{m.Message.Name}\t" +
                         (FromPlatformServices(m.Message) ? "(a cell per caller)" : "only:" + string.Join(',', SentBy(m.Message))))
            .ShouldBeEmpty($"consumed messages without a row in {AuthorizationMatrix.FileName}");
        rows.Except(consumed).Order().ShouldBeEmpty($"rows of {AuthorizationMatrix.FileName} naming no consumed message");

        foreach (var (host, message) in Messages())
        {
            var row = Matrix.Find(Surface, host.Service, message.Name)!;
            if (FromPlatformServices(message))
                row.OnlySenders.ShouldBeNull($"{message.Name} may be sent by a platform service for a user: its row needs a cell per caller");
            else
                row.OnlySenders.ShouldBe(SentBy(message).Select(s => s.ToString()), ignoreOrder: true,
                    customMessage: $"{message.Name}: the row names other senders than its [SentBy]");
        }
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task Every_command_from_a_platform_service_is_answered_for_each_caller_as_the_matrix_says_X2_S1()
    {
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(platform.PlatformBus.Bus);
        var sent = new List<(PlatformHost Host, Type Message, Caller Caller, Guid Id)>();
        foreach (var (host, message) in Messages().Where(m => FromPlatformServices(m.Message)))
        foreach (var caller in Caller.All)
            sent.Add((host, message, caller, await Send(host, message, caller.TokenFor(platform.Jwt))));

        var answers = new Dictionary<Guid, CommandRefused>();
        await Eventually.TrueAsync(() =>
        {
            foreach (var context in refusals.Received) answers.TryAdd(context.Message.CommandId, context.Message);
            return Task.FromResult(sent.All(s => answers.ContainsKey(s.Id)));
        }, "an answer to every command sent", TimeSpan.FromSeconds(60));

        var wrong = new StringBuilder();
        foreach (var group in sent.GroupBy(s => (s.Host.Service, s.Message.Name)))
        {
            var observed = group.ToDictionary(s => s.Caller.Column, s => Classify(answers[s.Id]));
            var row = Matrix.Find(Surface, group.Key.Service, group.Key.Name);
            if (row?.OnlySenders is null && observed.All(o => row?.Cells[o.Key] == o.Value)) continue;
            wrong.AppendLine($"  expected {(row is null ? "(no row)" : AuthorizationMatrix.Format(Surface, row.Service, row.Operation, row.Cells))}")
                .AppendLine($"  observed {AuthorizationMatrix.Format(Surface, group.Key.Service, group.Key.Name, observed)}");
        }
        wrong.ToString().ShouldBeEmpty("commands answered otherwise than the matrix says");
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task Every_other_message_sent_by_a_platform_service_is_refused_at_the_bus_edge_X2()
    {
        var admin = Caller.All.Single(c => c.Column == "tenant-admin").TokenFor(platform.Jwt);
        var sent = new List<(PlatformHost Host, Type Message, Guid Id)>();
        foreach (var (host, message) in Messages().Where(m => !FromPlatformServices(m.Message)))
            sent.Add((host, message, await Send(host, message, admin)));

        var missing = new ConcurrentDictionary<string, string>();
        var arrived = async () =>
        {
            missing.Clear();
            foreach (var queue in sent.GroupBy(s => s.Host.Queue))
            {
                var faults = await platform.Broker.Management.PeekAsync(platform.Broker.VirtualHost, queue.Key + "_error", count: 2000);
                foreach (var (_, message, id) in queue)
                    if (!faults.Any(f => f.Payload.Contains(id.ToString(), StringComparison.Ordinal)
                                         && f.Header(MessageHeaders.FaultExceptionType)?.Contains(nameof(UntrustedMessageException)) == true))
                        missing[$"{queue.Key} {message.Name}"] = id.ToString();
            }
            return missing.IsEmpty;
        };
        try
        {
            await Eventually.TrueAsync(arrived, "every message from a platform service that only our services may send in the error queue",
                TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            missing.Keys.Order().ShouldBeEmpty("messages from a platform service not refused at the bus edge (not in the error queue as untrusted)");
        }
    }

    private async Task<Guid> Send(PlatformHost host, Type message, string? token)
    {
        var sample = BusSamples.Of(message);
        var send = typeof(TestBus).GetMethod(nameof(TestBus.SendAsync))!.MakeGenericMethod(message);
        return await (Task<Guid>)send.Invoke(platform.PlatformBus, [host.Queue, sample, token, null])!;
    }

    /// <summary>Refused at the bus edge (no valid token): 401; refused by the consumer's authorisation check: 403;
    /// refused by any other rule: the caller got through to the rules.</summary>
    private static string Classify(CommandRefused refused) =>
        refused.Rule != Rules.Authorization ? Outcome.Allowed
        : refused.Reason.Contains("at the bus edge", StringComparison.Ordinal) ? Outcome.Unauthenticated
        : Outcome.Forbidden;
}
