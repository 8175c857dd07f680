using System.Text.Json;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.Testing;
using Marten;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>Issue 9's attacks on EnvironmentEncryption over the bus (X2): each is refused at the bus edge, lands in the
/// error queue with the reason, and changes no stream.</summary>
public sealed class ForgedBusTrafficTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private const string ErrorQueue = Queues.EnvironmentEncryption + "_error";

    private async Task<int> EventCountAsync(string environment)
    {
        await using var session = platform.Environments.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment))).Count;
    }

    /// <summary>The MassTransit envelope of a message, as an intruder would write it by hand.</summary>
    private static string Envelope(Guid messageId, string messageUrn, object message) => JsonSerializer.Serialize(new
    {
        messageId,
        messageType = new[] { messageUrn },
        message,
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private Task<RabbitManagement.QueuedMessage> InErrorQueueAsync(Guid messageId) =>
        Eventually.GetAsync(async () => (await platform.Broker.Management.PeekAsync(platform.Broker.VirtualHost, ErrorQueue))
            .FirstOrDefault(m => m.Payload.Contains(messageId.ToString(), StringComparison.Ordinal)), $"message {messageId} in {ErrorQueue}");

    [Fact]
    [Trait("Rule", "X2")]
    public async Task A_lock_and_a_delete_forged_through_the_management_API_with_operator_headers_change_nothing_X2_L1_L7()
    {
        var (tenant, _, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        var before = await EventCountAsync(environment);
        var cycle = $"tenant-lock:{tenant}:europe:99";
        var headers = new Dictionary<string, object>
        {
            [PrincipalHeaders.Subject] = "intruder",
            [PrincipalHeaders.Tenant] = "*",
            [PrincipalHeaders.Roles] = PlatformRoles.PlatformOperator,
        };
        var lockId = NewId.NextGuid();
        var deleteId = NewId.NextGuid();

        // The admin credentials the scripts create, publishing to the service's queue as the saga would.
        (await platform.Broker.Management.PublishAsync(platform.Broker.VirtualHost, Queues.EnvironmentEncryption,
            Envelope(lockId, "urn:keyplatform:environments:lock-environment:v1",
                new LockEnvironment(tenant, PlatformFixture.Region, environment, cycle)), headers)).ShouldBeTrue();
        (await platform.Broker.Management.PublishAsync(platform.Broker.VirtualHost, Queues.EnvironmentEncryption,
            Envelope(deleteId, "urn:keyplatform:environments:delete-locked-environment:v1",
                new DeleteLockedEnvironment(tenant, PlatformFixture.Region, environment, cycle)), headers)).ShouldBeTrue();

        (await InErrorQueueAsync(lockId)).Header("MT-Fault-Message")!.ShouldContain("no broker user id");
        (await InErrorQueueAsync(deleteId)).Header("MT-Fault-Message")!.ShouldContain("no broker user id");
        (await EventCountAsync(environment)).ShouldBe(before);
        (await platform.StatusAsync(tenant, environment)).State.ShouldBe(EnvironmentState.Active);
        await platform.ReadOkAsync(tenant, environment, "invoice-7");
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task The_saga_only_commands_from_a_platform_service_with_an_operator_token_are_refused_AUTHZ_X2()
    {
        var (tenant, _, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        var before = await EventCountAsync(environment);
        await using var refusals = await BusProbe<CommandRefused>.StartAsync(platform.Bus);
        var operatorToken = platform.TokenOf(new Actor("ops", "*", new HashSet<string> { PlatformRoles.PlatformOperator }, new HashSet<string>()));

        var lockId = await platform.PlatformBus.SendAsync(Queues.EnvironmentEncryption,
            new LockEnvironment(tenant, PlatformFixture.Region, environment, $"tenant-lock:{tenant}:europe:7"), operatorToken);

        var refused = await refusals.WaitForAsync(r => r.CommandId == lockId, "the refusal of the forged lock");
        refused.Message.Rule.ShouldBe(Rules.Authorization);
        refused.Message.Reason.ShouldContain("TenantLock");
        (await InErrorQueueAsync(lockId)).Header(RestampingMoves.OriginalSenderHeader).ShouldBe("kp-platform-service");
        (await EventCountAsync(environment)).ShouldBe(before);
        (await platform.StatusAsync(tenant, environment)).State.ShouldBe(EnvironmentState.Active);
    }

    [Fact]
    [Trait("Rule", "X2")]
    public async Task A_TenantKeyActivated_not_sent_by_KeyService_rewraps_nothing_X2_K8()
    {
        var (tenant, key, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        var before = await EventCountAsync(environment);
        var forgedId = NewId.NextGuid();
        var forged = new TenantKeyActivated(tenant, PlatformFixture.Region, "forged-key", "vault-key-of-someone-else",
            new string('a', 64), key.KeyId, platform.Clock.GetUtcNow());

        // Straight to the service's queue exchange, which a platform service may write to: the sender check refuses it.
        await platform.PlatformBus.SendAsync(Queues.EnvironmentEncryption, forged, token: null, context => context.MessageId = forgedId);

        (await InErrorQueueAsync(forgedId)).Header("MT-Fault-Message")!.ShouldContain("may be sent only by KeyService");
        (await EventCountAsync(environment)).ShouldBe(before);
        var facts = await platform.FactsAsync(tenant);
        facts!.ActiveKey(PlatformFixture.Region)!.KeyId.ShouldBe(key.KeyId);
    }
}
