using KeyPlatform.Contracts.Keys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;

/// <summary>
/// KeyService announced a new active key for a tenant and region: remember it (E2 applies it, U2 needs it, and its
/// thumbprint finds it in the vault after a re-import), and, in the same transaction, start K8 for every environment
/// that must now be wrapped by it. Locked environments are left alone (E6); they are rewrapped when unlocked (U2).
/// </summary>
public sealed class TenantKeyActivatedConsumer(IDocumentStore store, DataKeyVault vault, TimeProvider time)
    : IdempotentConsumer<TenantKeyActivated>(store, time)
{
    protected override async Task HandleAsync(ConsumeContext<TenantKeyActivated> context, IDocumentSession session)
    {
        var message = context.Message;
        var region = message.Region;
        var became = new TenantKeyBecameActive(message.TenantId, region, message.KeyId, message.VaultKeyId, message.Thumbprint,
            message.ActivatedAt);
        var facts = await session.Events.FetchForWriting<TenantFacts>(TenantFacts.StreamKey(message.TenantId), context.CancellationToken);
        facts.AppendOne(became);

        var candidates = await session.Query<TenantEnvironment>()
            .Where(e => e.TenantId == message.TenantId && e.Region == region && e.State == EnvironmentState.Active)
            .ToListAsync(context.CancellationToken);
        var target = became.ToKey();
        var environmentIds = candidates.Where(e => EnvironmentDecider.NeedsRewrap(e, target, vault.PreferredAlgorithm))
            .Select(e => e.EnvironmentId).Order(StringComparer.Ordinal).ToList();

        var rewrapId = context.MessageId!.Value.ToString("N");
        session.Events.StartStream<RewrapRun>(RewrapRun.StreamKey(rewrapId),
            new RewrapStarted(rewrapId, message.TenantId, region, message.KeyId, message.Thumbprint, environmentIds, Time.GetUtcNow()));
    }
}
