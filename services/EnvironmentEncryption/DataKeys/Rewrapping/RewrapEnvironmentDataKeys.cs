using KeyPlatform.Contracts.Messaging;
using System.Security.Cryptography;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Messaging;
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
/// environment (V3: a fresh data key under the tenant key, the records re-encrypted under it). Consumed in batches; the
/// target is whatever key is active when it is handled, so an activation racing an apply cannot leave the environment
/// Updating.</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:complete-tenant-key-application:v1", false)]
[EntityName("keyplatform.environments.complete-tenant-key-application.v1")]
public sealed record CompleteTenantKeyApplication(string TenantId, string Region, string EnvironmentId);

/// <summary>E3, EnvironmentEncryption to itself through the relay: finish returning an Updating environment to the platform
/// key (V3: a fresh data key under the platform key, the records re-encrypted under it).</summary>
[SentBy(Sender.EnvironmentEncryption)]
[MessageUrn("urn:keyplatform:environments:complete-return-to-platform-key:v1", false)]
[EntityName("keyplatform.environments.complete-return-to-platform-key.v1")]
public sealed record CompleteReturnToPlatformKey(string TenantId, string Region, string EnvironmentId);

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
/// collects the messages into a batch), each message id recorded with the effect. Once committed, the old plaintext data
/// keys leave this instance's cache (other instances drop theirs on first use: the data key id no longer matches). A
/// failure the bus's retries did not cure ends in TenantKeyApplicationFailed on the last attempt, never in the error queue
/// with the environments left Updating.</summary>
public sealed class CompleteTenantKeyApplicationsConsumer(IDocumentStore store, DataKeyRewrapper rewrapper, DataKeyCache cache, TimeProvider time,
    MessageRetries retries, ILogger<CompleteTenantKeyApplicationsConsumer> logger) : IConsumer<Batch<CompleteTenantKeyApplication>>
{
    private const string Handler = nameof(CompleteTenantKeyApplicationsConsumer);
    private const int MaxAttempts = 5;

    public async Task Consume(ConsumeContext<Batch<CompleteTenantKeyApplication>> context)
    {
        try
        {
            await CompleteAsync(context, null);
        }
        catch (Exception e) when (DataKeyRewrapper.IsPermanent(context, retries))
        {
            logger.LogError("Completing the tenant key application of {Count} environments failed after its retries ({Failure}); they keep their data keys",
                context.Message.Length, e.GetType().Name);
            await CompleteAsync(context, DataKeyRewrapper.PermanentFailureReason(e));
        }
    }

    /// <param name="failure">Null to move the environments to fresh data keys; else why they stay under their old ones.</param>
    private async Task CompleteAsync(ConsumeContext<Batch<CompleteTenantKeyApplication>> context, string? failure)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = await DataKeyRewrapper.SessionAsync(store, context, null);
            var keys = context.Message.Select(m => HandledMessage.KeyFor(Handler, m.MessageId!.Value)).ToArray();
            var handled = (await session.LoadManyAsync<HandledMessage>(context.CancellationToken, keys)).Select(h => h.Id).ToHashSet();
            var pending = context.Message.Where(m => !handled.Contains(HandledMessage.KeyFor(Handler, m.MessageId!.Value))).ToList();
            if (pending.Count == 0) return;

            if (failure is not null)
                await rewrapper.FailReplacementsAsync(session, pending.Select(m => m.Message.EnvironmentId).ToList(), failure, context.CancellationToken);
            else
                await rewrapper.CompleteApplicationsAsync(session, pending.Select(m => m.Message).ToList(), context.CancellationToken);
            foreach (var message in pending) session.MarkHandled(Handler, message.MessageId!.Value, time.GetUtcNow());
            if (await DataKeyRewrapper.TrySaveAsync(session, attempt, MaxAttempts, logger, context.CancellationToken))
            {
                foreach (var message in pending) cache.Evict(message.Message.EnvironmentId);
                logger.LogDebug("Completed the tenant key application of {Count} environments", pending.Count);
                return;
            }
        }
    }
}

/// <summary>E3: one environment returning to the platform key, in one transaction with its message id; once committed,
/// its old plaintext data key leaves this instance's cache. A failure the bus's retries did not cure ends in
/// ReturnToPlatformKeyFailed on the last attempt.</summary>
public sealed class CompleteReturnToPlatformKeyConsumer(IDocumentStore store, DataKeyRewrapper rewrapper, DataKeyCache cache, TimeProvider time,
    MessageRetries retries, ILogger<CompleteReturnToPlatformKeyConsumer> logger) : IConsumer<CompleteReturnToPlatformKey>
{
    private const int MaxAttempts = 5;

    public async Task Consume(ConsumeContext<CompleteReturnToPlatformKey> context)
    {
        try
        {
            await CompleteAsync(context, null);
        }
        catch (Exception e) when (DataKeyRewrapper.IsPermanent(context, retries))
        {
            logger.LogError("Returning environment {Environment} to the platform key failed after its retries ({Failure}); it keeps its data key",
                context.Message.EnvironmentId, e.GetType().Name);
            await CompleteAsync(context, DataKeyRewrapper.PermanentFailureReason(e));
        }
    }

    /// <param name="failure">Null to move the environment to a fresh data key; else why it stays under its old one.</param>
    private async Task CompleteAsync(ConsumeContext<CompleteReturnToPlatformKey> context, string? failure)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException("A message needs a message id.");
        var message = context.Message;
        for (var attempt = 1; ; attempt++)
        {
            await using var session = await DataKeyRewrapper.SessionAsync(store, context, null);
            if (await session.AlreadyHandledAsync(nameof(CompleteReturnToPlatformKeyConsumer), messageId, context.CancellationToken)) return;

            if (failure is not null)
                await rewrapper.FailReplacementsAsync(session, [message.EnvironmentId], failure, context.CancellationToken);
            else
                await rewrapper.RewrapAsync(session, message.TenantId, message.Region, null, null, 0, [message.EnvironmentId], context.CancellationToken);
            session.MarkHandled(nameof(CompleteReturnToPlatformKeyConsumer), messageId, time.GetUtcNow());
            if (await DataKeyRewrapper.TrySaveAsync(session, attempt, MaxAttempts, logger, context.CancellationToken))
            {
                cache.Evict(message.EnvironmentId);
                return;
            }
        }
    }
}

/// <summary>
/// K8, and the completion of E2 and E3. All environments of a batch are fetched for writing in one round trip. An online
/// environment under an older tenant key is rewrapped (K8: the same data key, no downtime, D3). An Updating environment
/// gets a fresh data key wrapped only by the key it moves to, and its records are re-encrypted under it (V3; only in a
/// completion, never in a K8 run). The vault work runs a few at once; the events, the re-encrypted records, the batch's
/// progress and its message ids are committed together by the caller under optimistic concurrency: a conflict or a crash
/// replays the whole batch on fresh state, and the decider skips every environment already done. So a restart neither
/// changes an environment twice nor skips one, and no record is ever under a data key its stream does not name.
/// </summary>
public sealed class DataKeyRewrapper(DataKeyVault vault, RecordTransfer transfer, EnvironmentRules rules, TimeProvider time,
    ILogger<DataKeyRewrapper> logger)
{
    public static async Task<IDocumentSession> SessionAsync(IDocumentStore store, ConsumeContext context, string? rewrapId)
    {
        var session = await store.OpenWriteSessionAsync(context.CancellationToken);
        session.CorrelationId = context.CorrelationId?.ToString() ?? rewrapId ?? context.MessageId?.ToString();
        session.CausationId = context.MessageId?.ToString();
        session.LastModifiedBy = "service:environment-encryption";
        return session;
    }

    /// <summary>True when committed; false to decide again on fresh state (a concurrent write, or a message of the batch
    /// handled by a concurrent delivery); throws once the attempts are spent.</summary>
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
        catch (JasperFx.DocumentAlreadyExistsException) when (attempt < maxAttempts)
        {
            // A message of the batch was committed by a concurrent delivery, and the others were rolled back with it:
            // decide again, when the handled messages drop out and the rest are done.
            logger.LogInformation("A message of the batch was handled concurrently, attempt {Attempt}; deciding again", attempt);
            return false;
        }
    }

    /// <summary>A failure of a completion that the bus will not retry again (the last attempt; not the host stopping):
    /// the completion decides the failure instead, so the environment is back online under its old key.</summary>
    public static bool IsPermanent(ConsumeContext context, MessageRetries retries) =>
        !context.CancellationToken.IsCancellationRequested && retries.IsLastAttempt(context);

    /// <summary>Why, in words that carry no exception message (it could name anything): only the kind of failure.</summary>
    public static string PermanentFailureReason(Exception e) =>
        $"Moving the records to a fresh data key failed after every retry ({e.GetType().Name}); no record was re-encrypted.";

    /// <summary>V3: the Updating environments among <paramref name="environmentIds"/> stay under their data keys and go back
    /// online (the apply or the return failed); the others are left as they are.</summary>
    public async Task FailReplacementsAsync(IDocumentSession session, IReadOnlyList<string> environmentIds, string reason,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var batch = session.CreateBatchQuery();
        var fetches = environmentIds.Distinct(StringComparer.Ordinal)
            .Select(id => batch.Events.FetchForWriting<TenantEnvironment>(TenantEnvironment.StreamKey(id))).ToList();
        await batch.Execute(cancellationToken);
        foreach (var stream in await Task.WhenAll(fetches))
            stream.AppendMany(EnvironmentDecider.DecideReplacementFailure(stream.Aggregate, reason, now).Events);
    }

    /// <summary>E2 completions of any tenants and regions in one transaction, each (tenant, region) its own batch. The records of
    /// every environment of them are held first, in one order (<see cref="RecordWriteLock"/>): held group by group, two
    /// transactions completing the same environments in other groups first (a message delivered again, to another instance or
    /// in another batch) would each hold one and wait for the other's, a PostgreSQL deadlock (40P01).</summary>
    public async Task CompleteApplicationsAsync(IDocumentSession session, IReadOnlyList<CompleteTenantKeyApplication> applications,
        CancellationToken cancellationToken)
    {
        await RecordWriteLock.HoldForMoveAsync(session, applications.Select(a => a.EnvironmentId), cancellationToken);
        foreach (var group in applications.GroupBy(a => (a.TenantId, a.Region)))
            await RewrapAsync(session, group.Key.TenantId, group.Key.Region, null, null, 0, group.Select(a => a.EnvironmentId).ToList(),
                cancellationToken);
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
        var records = rewrapId is null ? await RecordsToMoveAsync(session, streams, cancellationToken) : [];

        using var gate = new SemaphoreSlim(Math.Max(1, rules.RewrapVaultParallelism));
        var outcomes = await Task.WhenAll(streams.Select(async stream =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var state = stream.Aggregate;
                var outcome = rewrapId is null && EnvironmentDecider.NeedsFreshDataKey(state)
                    ? await ReplaceAsync(state!, records.GetValueOrDefault(state!.EnvironmentId, []), active, facts, region, now, cancellationToken)
                    : (await RewrapOneAsync(state, active, facts, region, rewrapId, targetKeyId, now, cancellationToken), []);
                return (Stream: stream, outcome.Decision, outcome.Records);
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var (stream, decision, moved) in outcomes)
        {
            stream.AppendMany(decision.Events);
            if (decision.Events.Count > 0) foreach (var record in moved) session.Store(record);
            if (decision.Events.Any(e => e is DataKeyRewrapped or DataKeyReplaced)) result.Rewrapped++;
            else if (decision.Events.Any(e => e is DataKeyRewrapFailed or TenantKeyApplicationFailed or ReturnToPlatformKeyFailed)) result.Failed++;
            else result.Skipped++;
        }
        return result;
    }

    /// <summary>The records of the batch's Updating environments, in one query (the session is not used concurrently), with
    /// no record write of theirs in flight until the session commits (<see cref="RecordWriteLock"/>).</summary>
    private static async Task<Dictionary<string, List<EnvironmentRecord>>> RecordsToMoveAsync(IDocumentSession session,
        IEnumerable<IEventStream<TenantEnvironment>> streams, CancellationToken cancellationToken)
    {
        var ids = streams.Where(s => EnvironmentDecider.NeedsFreshDataKey(s.Aggregate)).Select(s => s.Aggregate!.EnvironmentId).ToArray();
        if (ids.Length == 0) return [];
        await RecordWriteLock.HoldForMoveAsync(session, ids, cancellationToken);
        var records = await session.Query<EnvironmentRecord>().Where(r => r.EnvironmentId.IsOneOf(ids)).ToListAsync(cancellationToken);
        return records.GroupBy(r => r.EnvironmentId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>V3: a fresh data key under the key the Updating environment moves to (E2: the tenant's active key now;
    /// E3: the platform key), and its records re-encrypted under it.</summary>
    private async Task<(Decision Decision, List<EnvironmentRecord> Records)> ReplaceAsync(TenantEnvironment state,
        IReadOnlyList<EnvironmentRecord> records, ActiveTenantKey? active, TenantFacts? facts, string region, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        WrappingKey target;
        if (EnvironmentDecider.UpdatingTo(state) == EnvironmentProtection.PlatformKey)
            target = await vault.PlatformKeyAsync(state.Region, cancellationToken);
        else if (active is null)
            return (EnvironmentDecider.DecideReplacementFailure(state, $"The tenant has no Active key in region '{region}'.", now), []);
        else
            target = WrappingKey.ForTenant(state.TenantId, active);

        try
        {
            var (key, moved) = await transfer.ToFreshDataKeyAsync(state, records, target, facts, now, cancellationToken);
            return (EnvironmentDecider.Decide(state, new ReplaceDataKey(key, state.DataKey!.DataKeyId, moved.Count), now), moved);
        }
        catch (VaultKeyNotFoundException e)
        {
            logger.LogWarning("Environment {Environment} keeps its data key: vault key {VaultKey} is gone", state.EnvironmentId, e.KeyId);
            return (EnvironmentDecider.DecideReplacementFailure(state,
                $"A key needed to move the records to a fresh data key is no longer in the vault ({e.KeyId}).", now), []);
        }
        catch (VaultKeyOwnershipException e)
        {
            logger.LogWarning("Environment {Environment} keeps its data key: vault key {VaultKey} is not the expected owner's",
                state.EnvironmentId, e.KeyId);
            return (EnvironmentDecider.DecideReplacementFailure(state,
                $"Vault key {e.KeyId} is not a key of this tenant and region with the announced thumbprint; nothing was changed.", now), []);
        }
        catch (AuthenticationTagMismatchException)
        {
            logger.LogWarning("Environment {Environment} keeps its data key: a record does not open with it", state.EnvironmentId);
            return (EnvironmentDecider.DecideReplacementFailure(state,
                "A record of the environment does not open with its data key; no record was re-encrypted.", now), []);
        }
        catch (CryptographicException)
        {
            logger.LogWarning("Data key of environment {Environment} could not be unwrapped to move its records", state.EnvironmentId);
            return (EnvironmentDecider.DecideReplacementFailure(state,
                "The data key could not be unwrapped by the key that should protect it; no record was re-encrypted.", now), []);
        }
    }

    /// <summary>K8: the same data key, wrapped by the tenant's active key with the vault's algorithm.</summary>
    private async Task<Decision> RewrapOneAsync(TenantEnvironment? state, ActiveTenantKey? active, TenantFacts? facts, string region,
        string? rewrapId, string? targetKeyId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (active is null)
            return EnvironmentDecider.DecideRewrapFailure(state, targetKeyId ?? "",
                $"The tenant has no Active key in region '{region}'.", rewrapId, now);
        if (!EnvironmentDecider.NeedsRewrap(state, active, vault.PreferredAlgorithm)) return Decision.Nothing;
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
