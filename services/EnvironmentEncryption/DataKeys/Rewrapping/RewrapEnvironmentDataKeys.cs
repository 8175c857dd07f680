using KeyPlatform.Contracts.Messaging;
using System.Security.Cryptography;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;
using JasperFx.Events;
using Marten;
using Marten.Events;
using MassTransit;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;

/// <summary>K8, EnvironmentEncryption to itself through the relay: rewrap these environments' data keys under
/// <see cref="TargetKeyId"/>, the tenant's new active key of the region, as batch <see cref="BatchIndex"/> of run
/// <see cref="RewrapId"/>.</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:rewrap-environment-data-keys:v1", false)]
[EntityName("keyplatform.environments.rewrap-environment-data-keys.v1")]
public sealed record RewrapEnvironmentDataKeys(string TenantId, string Region, string RewrapId, string TargetKeyId, int BatchIndex,
    IReadOnlyList<string> EnvironmentIds);

/// <summary>E2, EnvironmentEncryption to itself through the relay: finish applying the tenant key to an Updating
/// environment. Consumed in batches; the target is whatever key is active when it is handled, so an activation
/// racing an apply cannot leave the environment Updating.</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:complete-tenant-key-application:v1", false)]
[EntityName("keyplatform.environments.complete-tenant-key-application.v1")]
public sealed record CompleteTenantKeyApplication(string TenantId, string Region, string EnvironmentId);

/// <summary>K8: one batch of a rewrap run, in one transaction with its progress and its message id.</summary>
public sealed class RewrapEnvironmentDataKeysConsumer(IDocumentStore store, DataKeyRewrapper rewrapper, TimeProvider time,
    ILogger<RewrapEnvironmentDataKeysConsumer> logger) : IConsumer<RewrapEnvironmentDataKeys>
{
    private const int MaxAttempts = 5;

    public async Task Consume(ConsumeContext<RewrapEnvironmentDataKeys> context)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException("A message needs a message id.");
        var message = context.Message;
        for (var attempt = 1; ; attempt++)
        {
            await using var session = await DataKeyRewrapper.SessionAsync(store, context, message.RewrapId);
            if (await session.AlreadyHandledAsync(nameof(RewrapEnvironmentDataKeysConsumer), messageId, context.CancellationToken)) return;

            var result = await rewrapper.RewrapAsync(session, message.TenantId, message.Region, message.RewrapId, message.TargetKeyId,
                message.BatchIndex, message.EnvironmentIds, context.CancellationToken);
            session.MarkHandled(nameof(RewrapEnvironmentDataKeysConsumer), messageId, time.GetUtcNow());
            if (await DataKeyRewrapper.TrySaveAsync(session, attempt, MaxAttempts, logger, context.CancellationToken))
            {
                logger.LogDebug("Rewrap batch {Batch} of {Rewrap}: {Rewrapped} rewrapped, {Skipped} skipped, {Failed} failed",
                    message.BatchIndex, message.RewrapId, result.Rewrapped, result.Skipped, result.Failed);
                return;
            }
        }
    }
}

/// <summary>E2: the environments whose tenant key application was requested recently, many per transaction (MassTransit
/// collects the messages into a batch), each message id recorded with the effect.</summary>
public sealed class CompleteTenantKeyApplicationsConsumer(IDocumentStore store, DataKeyRewrapper rewrapper, TimeProvider time,
    ILogger<CompleteTenantKeyApplicationsConsumer> logger) : IConsumer<Batch<CompleteTenantKeyApplication>>
{
    private const string Handler = nameof(CompleteTenantKeyApplicationsConsumer);
    private const int MaxAttempts = 5;

    public async Task Consume(ConsumeContext<Batch<CompleteTenantKeyApplication>> context)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = await DataKeyRewrapper.SessionAsync(store, context, null);
            var keys = context.Message.Select(m => HandledMessage.KeyFor(Handler, m.MessageId!.Value)).ToArray();
            var handled = (await session.LoadManyAsync<HandledMessage>(context.CancellationToken, keys)).Select(h => h.Id).ToHashSet();
            var pending = context.Message.Where(m => !handled.Contains(HandledMessage.KeyFor(Handler, m.MessageId!.Value))).ToList();
            if (pending.Count == 0) return;

            foreach (var group in pending.GroupBy(m => (m.Message.TenantId, m.Message.Region)))
                await rewrapper.RewrapAsync(session, group.Key.TenantId, group.Key.Region, null, null, 0,
                    group.Select(m => m.Message.EnvironmentId).ToList(), context.CancellationToken);
            foreach (var message in pending) session.MarkHandled(Handler, message.MessageId!.Value, time.GetUtcNow());
            if (await DataKeyRewrapper.TrySaveAsync(session, attempt, MaxAttempts, logger, context.CancellationToken))
            {
                logger.LogDebug("Completed the tenant key application of {Count} environments", pending.Count);
                return;
            }
        }
    }
}

/// <summary>
/// K8 and E2's completion. All environments of a batch are fetched for writing in one round trip, rewrapped in the
/// vault (a few at once), and their events are appended to the caller's session, which commits them with the
/// batch's progress and message ids under optimistic concurrency: a conflict or a crash replays the whole batch on
/// fresh state, and the decider skips every environment already wrapped by the target key. So a restart neither
/// rewraps an environment twice nor skips one; no environment goes offline (D2 keeps releasing the key under its
/// old wrapping until the new one commits).
/// </summary>
public sealed class DataKeyRewrapper(DataKeyVault vault, EnvironmentRules rules, TimeProvider time, ILogger<DataKeyRewrapper> logger)
{
    public static async Task<IDocumentSession> SessionAsync(IDocumentStore store, ConsumeContext context, string? rewrapId)
    {
        var session = await store.OpenWriteSessionAsync(context.CancellationToken);
        session.CorrelationId = context.CorrelationId?.ToString() ?? rewrapId ?? context.MessageId?.ToString();
        session.CausationId = context.MessageId?.ToString();
        session.LastModifiedBy = "service:environment-encryption";
        return session;
    }

    /// <summary>True when committed (or committed by a concurrent delivery); false to decide again on fresh state.</summary>
    public static async Task<bool> TrySaveAsync(IDocumentSession session, int attempt, int maxAttempts, ILogger logger,
        CancellationToken cancellationToken)
    {
        try
        {
            await session.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (StreamCommands.IsConcurrencyConflict(e) && attempt < maxAttempts)
        {
            logger.LogInformation("Concurrent write during a rewrap, attempt {Attempt}; deciding again", attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)), cancellationToken);
            return false;
        }
        catch (JasperFx.DocumentAlreadyExistsException)
        {
            return true; // the same message committed concurrently
        }
    }

    public async Task<RewrapBatchResult> RewrapAsync(IDocumentSession session, string tenantId, string region, string? rewrapId,
        string? targetKeyId, int batchIndex, IReadOnlyList<string> environmentIds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = new RewrapBatchResult
        {
            Id = RewrapBatchResult.DocumentId(rewrapId ?? "apply", batchIndex),
            RewrapId = rewrapId ?? "",
            BatchIndex = batchIndex,
            CompletedAt = now,
        };
        if (rewrapId is not null) session.Store(result);

        var facts = await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
        var active = facts?.ActiveKey(region);
        if (targetKeyId is not null && active?.KeyId != targetKeyId)
        {
            // A newer activation superseded this run; its own run covers every environment still to do.
            result.Skipped = environmentIds.Count;
            return result;
        }

        var batch = session.CreateBatchQuery();
        var fetches = environmentIds.Distinct(StringComparer.Ordinal)
            .Select(id => batch.Events.FetchForWriting<TenantEnvironment>(TenantEnvironment.StreamKey(id))).ToList();
        await batch.Execute(cancellationToken);
        var streams = await Task.WhenAll(fetches);

        using var gate = new SemaphoreSlim(Math.Max(1, rules.RewrapVaultParallelism));
        var decisions = await Task.WhenAll(streams.Select(async stream =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                return (Stream: stream, Decision: await DecideAsync(stream.Aggregate, active, facts, region, rewrapId, targetKeyId, now,
                    cancellationToken));
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var (stream, decision) in decisions)
        {
            stream.AppendMany(decision.Events);
            if (decision.Events.Any(e => e is DataKeyRewrapped)) result.Rewrapped++;
            else if (decision.Events.Any(e => e is DataKeyRewrapFailed or TenantKeyApplicationFailed)) result.Failed++;
            else result.Skipped++;
        }
        return result;
    }

    private async Task<Decision> DecideAsync(TenantEnvironment? state, ActiveTenantKey? active, TenantFacts? facts, string region,
        string? rewrapId, string? targetKeyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (active is null)
            return EnvironmentDecider.DecideRewrapFailure(state, targetKeyId ?? "",
                $"The tenant has no Active key in region '{region}'.", rewrapId, now);
        if (!EnvironmentDecider.NeedsRewrap(state, active)) return Decision.Nothing;

        try
        {
            var rewrapped = await vault.RewrapAsync(state!.DataKey!, WrappingKey.ForTenant(state.TenantId, active), state.TenantId, facts,
                state.Region, now, cancellationToken);
            return EnvironmentDecider.Decide(state, new RewrapDataKey(rewrapped, rewrapId), now);
        }
        catch (VaultKeyNotFoundException e)
        {
            logger.LogWarning("Data key of environment {Environment} not rewrapped: vault key {VaultKey} is gone", state!.EnvironmentId, e.KeyId);
            return EnvironmentDecider.DecideRewrapFailure(state, active.KeyId,
                $"A key needed to rewrap the data key is no longer in the vault ({e.KeyId}).", rewrapId, now);
        }
        catch (VaultKeyOwnershipException e)
        {
            logger.LogWarning("Data key of environment {Environment} not rewrapped: vault key {VaultKey} is not the tenant's key of the region",
                state!.EnvironmentId, e.KeyId);
            return EnvironmentDecider.DecideRewrapFailure(state, active.KeyId,
                $"Vault key {e.KeyId} is not a key of this tenant and region with the announced thumbprint; nothing was rewrapped.",
                rewrapId, now);
        }
        catch (CryptographicException)
        {
            logger.LogWarning("Data key of environment {Environment} could not be unwrapped for a rewrap", state!.EnvironmentId);
            return EnvironmentDecider.DecideRewrapFailure(state, active.KeyId,
                "The data key could not be unwrapped by the key that should protect it.", rewrapId, now);
        }
    }
}
