using JasperFx.Events;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Environments.Status;
using KeyPlatform.EnvironmentEncryption.Messaging;
using KeyPlatform.ServiceDefaults.Messaging;

namespace EnvironmentEncryption.Tests;

public sealed class StatusAndMessagingTests
{
    private static IEnumerable<OutgoingMessage> Map(string streamKey, object data, int batchSize = 50) =>
        new EnvironmentEncryptionIntegrationEvents(new EnvironmentRules { RewrapBatchSize = batchSize }).Map(new Event<object>(data) { StreamKey = streamKey });

    [Fact]
    [Trait("Rule", "S4")]
    public void The_status_shows_the_key_the_lock_and_when_a_locked_environment_will_be_deleted_S4_T3()
    {
        var lockedAt = An.T0.AddHours(-2);
        var status = EnvironmentStatusView.From(An.State(An.Locked("k1", lockedAt))!, An.Facts(An.Active("k1")), new EnvironmentRules(), An.Algorithm);

        status.State.ShouldBe(EnvironmentState.Locked);
        status.Protection.ShouldBe(EnvironmentProtection.TenantKey);
        status.TenantKeyId.ShouldBe("k1");
        status.LockedSince.ShouldBe(lockedAt);
        status.DeletionDueAt.ShouldBe(lockedAt + TimeSpan.FromDays(28));
        status.RewrapPending.ShouldBeFalse();
        status.PlatformManagedComponents.ShouldBe(["Copilots and generative AI", "Search", "Elastic tables", "Mobile offline", "Activity log",
            "Mail server-side sync"]);
        EnvironmentStatusView.From(An.State(An.UnderTenantKey("k1"))!, An.Facts(An.Active("k2")), new EnvironmentRules(), An.Algorithm).RewrapPending
            .ShouldBeTrue();
        // K8: the active key, but recorded with another algorithm than the vault wraps with now: a rewrap is pending too.
        EnvironmentStatusView.From(An.State(An.UnderTenantKey("k1", algorithm: KeyPlatform.Vault.WrappingAlgorithm.RsaOaep))!,
            An.Facts(An.Active("k1")), new EnvironmentRules(), An.Algorithm).RewrapPending.ShouldBeTrue();
    }

    [Fact]
    [Trait("Rule", "S2")]
    public void Every_change_of_key_or_state_is_published_with_the_full_picture_and_lock_events_as_the_shared_contracts_S2()
    {
        var stream = TenantEnvironment.StreamKey(An.Environment);

        Map(stream, new EncryptionStatusChanged(An.Tenant, An.Region, An.Environment, "Sales", EnvironmentProtection.TenantKey, "k1",
                EnvironmentState.Locked, An.T0)).ShouldHaveSingleItem().Message
            .ShouldBe(new EnvironmentEncryptionChanged(An.Tenant, An.Region, An.Environment, "Sales", EnvironmentProtection.TenantKey, "k1", "Locked", An.T0));
        Map(stream, new LockCompleted(An.Tenant, An.Region, "cycle-1", An.T0)).ShouldHaveSingleItem().Message
            .ShouldBe(new EnvironmentLocked(An.Tenant, An.Region, An.Environment, An.T0, "cycle-1"));
        Map(stream, new Unlocked(An.Tenant, An.Region, An.T0)).ShouldHaveSingleItem().Message
            .ShouldBe(new EnvironmentUnlocked(An.Tenant, An.Region, An.Environment, An.T0));
        Map(stream, new EnvironmentRemoved(An.Tenant, An.Region, "L7", "cycle-1", An.T0)).ShouldHaveSingleItem().Message
            .ShouldBe(new EnvironmentDeleted(An.Tenant, An.Region, An.Environment, An.T0, "L7"));
        Map(stream, new LockStarted(An.Tenant, An.Region, "cycle-1", An.T0)).ShouldBeEmpty();
    }

    [Fact]
    [Trait("Rule", "K8")]
    public void A_rewrap_run_is_sent_to_this_service_in_batches_and_applying_sends_the_completion_of_one_environment_K8_E2()
    {
        var ids = Enumerable.Range(0, 25).Select(i => $"env-{i:D2}").ToList();

        var batches = Map(RewrapRun.StreamKey("run-1"), new RewrapStarted("run-1", An.Tenant, An.Region, "k2", "thumb-k2", ids, An.T0), batchSize: 10)
            .ToList();

        batches.Count.ShouldBe(3);
        batches.ShouldAllBe(b => b.SendToQueue == Queues.EnvironmentEncryption);
        var messages = batches.Select(b => (RewrapEnvironmentDataKeys)b.Message).ToList();
        messages.SelectMany(m => m.EnvironmentIds).ShouldBe(ids);
        messages.Select(m => m.BatchIndex).ShouldBe([0, 1, 2]);
        messages.ShouldAllBe(m => m.RewrapId == "run-1" && m.TargetKeyId == "k2");

        var apply = Map(TenantEnvironment.StreamKey(An.Environment), new TenantKeyApplicationStarted(An.Tenant, An.Region, "k1", An.T0))
            .ShouldHaveSingleItem();
        apply.SendToQueue.ShouldBe(Queues.EnvironmentEncryption);
        apply.Message.ShouldBe(new CompleteTenantKeyApplication(An.Tenant, An.Region, An.Environment));
    }
}
