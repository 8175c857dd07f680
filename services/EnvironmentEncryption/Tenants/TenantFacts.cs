using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace KeyPlatform.EnvironmentEncryption.Tenants;

/// <summary>A tenant key that became active in a region, as KeyService announced it: the key to wrap data keys with
/// (E2, K8), and how to find a key in the vault by its thumbprint after a re-import (docs/decisions/0004).</summary>
public sealed record ActiveTenantKey(string Region, string KeyId, string VaultKeyId, string Thumbprint, DateTimeOffset ActivatedAt);

/// <summary>Stream <c>tenant-facts:{tenantId}</c>: what this service learned of a tenant from KeyService's
/// integration events, kept inline as a document. T2 eligibility is decided against <see cref="EnabledAt"/>; E2, K8
/// and U2 against <see cref="ActiveKeys"/> (the active key of each region, none while its keys are locked), and a
/// wrapped data key is found in the vault through <see cref="Activations"/> (every activation, oldest first).
/// <see cref="LockedRegions"/> are the regions whose keys a tenant lock holds, from the start of the ring's lock until a
/// key is active there again (L3: no environment leaves the tenant key meanwhile).</summary>
public sealed record TenantFacts(string Id, string TenantId, DateTimeOffset EnabledAt, IReadOnlyList<ActiveTenantKey> Activations,
    IReadOnlyList<ActiveTenantKey>? ActiveKeys = null, IReadOnlyList<string>? LockedRegions = null)
{
    public static string StreamKey(string tenantId) => $"tenant-facts:{tenantId}";

    /// <summary>Whether KeyService said the feature is on (<see cref="EnabledAt"/> is the default value until then).</summary>
    public bool FeatureEnabled => EnabledAt != default;

    /// <summary>The tenant's active key in the region: the last one KeyService announced there, unless the region's
    /// keys were locked since (L4).</summary>
    public ActiveTenantKey? ActiveKey(string region) => (ActiveKeys ?? Activations).LastOrDefault(a => a.Region == region);

    /// <summary>L3: a lock of the tenant's keys in the region started and no key is active there again yet.</summary>
    public bool LockHolds(string region) => LockedRegions?.Contains(region) == true;

    /// <summary>The vault id under which the key with this thumbprint was last activated in the region (a key
    /// deleted by a lock and re-imported to unlock keeps its thumbprint and gets a new vault id).</summary>
    public string? VaultKeyIdFor(string region, string thumbprint) =>
        Activations.LastOrDefault(a => a.Region == region && a.Thumbprint == thumbprint)?.VaultKeyId;

    public static TenantFacts Create(TenantFeatureEnabled enabled) => new(StreamKey(enabled.TenantId), enabled.TenantId, enabled.EnabledAt, [], []);

    public static TenantFacts Create(TenantKeyBecameActive active) =>
        new(StreamKey(active.TenantId), active.TenantId, default, [active.ToKey()], [active.ToKey()]);

    public static TenantFacts Create(TenantKeysWereLocked locked) =>
        new(StreamKey(locked.TenantId), locked.TenantId, default, [], [], [locked.Region]);

    public static TenantFacts Create(TenantKeyLockBegan began) => new(StreamKey(began.TenantId), began.TenantId, default, [], [], [began.Region]);

    public TenantFacts Apply(TenantFeatureEnabled enabled) => this with { EnabledAt = enabled.EnabledAt };

    public TenantFacts Apply(TenantKeyBecameActive active) => this with
    {
        Activations = [.. Activations, active.ToKey()],
        ActiveKeys = [.. (ActiveKeys ?? []).Where(a => a.Region != active.Region), active.ToKey()],
        LockedRegions = (LockedRegions ?? []).Where(r => r != active.Region).ToList(),
    };

    public TenantFacts Apply(TenantKeyLockBegan began) => this with { LockedRegions = [.. (LockedRegions ?? []).Where(r => r != began.Region), began.Region] };

    public TenantFacts Apply(TenantKeysWereLocked locked) => this with
    {
        ActiveKeys = (ActiveKeys ?? []).Where(a => a.Region != locked.Region).ToList(),
        LockedRegions = [.. (LockedRegions ?? []).Where(r => r != locked.Region), locked.Region],
    };
}

/// <summary>The feature was turned on for the tenant (learned from KeyService).</summary>
public sealed record TenantFeatureEnabled(string TenantId, DateTimeOffset EnabledAt);

/// <summary>A tenant key became active in a region (learned from KeyService's <see cref="TenantKeyActivated"/>).</summary>
public sealed record TenantKeyBecameActive(string TenantId, string Region, string KeyId, string VaultKeyId, string Thumbprint,
    DateTimeOffset ActivatedAt)
{
    public ActiveTenantKey ToKey() => new(Region, KeyId, VaultKeyId, Thumbprint, ActivatedAt);
}

/// <summary>L3, L4: a lock of the tenant's keys of a region started (learned from KeyService's <see cref="TenantKeyLockStarted"/>):
/// from now on the lock's list of environments is being made, and none of them may leave the tenant key.</summary>
public sealed record TenantKeyLockBegan(string TenantId, string Region, string LockCycleId, DateTimeOffset StartedAt);

/// <summary>L4: the tenant's keys of a region were locked (learned from KeyService's <see cref="TenantKeysLocked"/>):
/// the region has no active key until one is activated again (U1).</summary>
public sealed record TenantKeysWereLocked(string TenantId, string Region, string LockCycleId, string Thumbprint, DateTimeOffset LockedAt);

public sealed class TenantEncryptionEnabledConsumer(IDocumentStore store, TimeProvider time)
    : IdempotentConsumer<TenantEncryptionEnabled>(store, time)
{
    protected override async Task HandleAsync(ConsumeContext<TenantEncryptionEnabled> context, IDocumentSession session)
    {
        var message = context.Message;
        var facts = await session.Events.FetchForWriting<TenantFacts>(TenantFacts.StreamKey(message.TenantId), context.CancellationToken);
        if (facts.Aggregate?.FeatureEnabled == true) return;
        facts.AppendOne(new TenantFeatureEnabled(message.TenantId, message.EnabledAt));
    }
}

public sealed class TenantKeyLockStartedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<TenantKeyLockStarted>(store, time)
{
    protected override async Task HandleAsync(ConsumeContext<TenantKeyLockStarted> context, IDocumentSession session)
    {
        var message = context.Message;
        var facts = await session.Events.FetchForWriting<TenantFacts>(TenantFacts.StreamKey(message.TenantId), context.CancellationToken);
        facts.AppendOne(new TenantKeyLockBegan(message.TenantId, message.Region, message.LockCycleId, message.StartedAt));
    }
}

public sealed class TenantKeysLockedConsumer(IDocumentStore store, TimeProvider time) : IdempotentConsumer<TenantKeysLocked>(store, time)
{
    protected override async Task HandleAsync(ConsumeContext<TenantKeysLocked> context, IDocumentSession session)
    {
        var message = context.Message;
        var facts = await session.Events.FetchForWriting<TenantFacts>(TenantFacts.StreamKey(message.TenantId), context.CancellationToken);
        facts.AppendOne(new TenantKeysWereLocked(message.TenantId, message.Region, message.LockCycleId, message.Thumbprint,
            message.LockedAt));
    }
}

/// <summary>Reads what this service knows of a tenant.</summary>
public sealed class TenantFactsReader(IDocumentStore store)
{
    public async Task<TenantFacts?> ReadAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
    }
}

public static class TenantFactsEndpoints
{
    public static void MapTenantFacts(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/tenants/{tenantId}/facts", async (HttpContext http, string tenantId, IQuerySession session) =>
            {
                if (http.RefuseUnlessReaderOf(tenantId) is { } refused) return refused;
                return await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), http.RequestAborted) is { } facts
                    ? Results.Ok(facts)
                    : QueryAccess.NotFound($"Nothing is known of tenant '{tenantId}'.");
            })
            .Produces<TenantFacts>()
            .ProducesRefusals(StatusCodes.Status404NotFound)
            .WithName("GetTenantFacts")
            .WithSummary("What this service learned of the tenant from KeyService: enablement (T2) and key activations (E2, K8)");
}
