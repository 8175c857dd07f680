using KeyPlatform.Contracts.Environments;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace KeyPlatform.KeyService.TenantKeys.LockedEnvironments;

/// <summary>The tenant's locked environments, as this service learns them from EnvironmentEncryption's events:
/// what K10, K11 and U3 are decided on.</summary>
public sealed class TenantLockedEnvironments
{
    public string Id { get; set; } = "";
    public HashSet<string> EnvironmentIds { get; set; } = [];
}

public sealed class EnvironmentLockConsumer(IDocumentStore store, TimeProvider time) :
    IdempotentConsumer<EnvironmentLocked>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<EnvironmentLocked> context, IDocumentSession session) =>
        LockedEnvironmentsUpdate.ApplyAsync(session, context.Message.TenantId, set => set.Add(context.Message.EnvironmentId),
            context.CancellationToken);
}

public sealed class EnvironmentUnlockConsumer(IDocumentStore store, TimeProvider time) :
    IdempotentConsumer<EnvironmentUnlocked>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<EnvironmentUnlocked> context, IDocumentSession session) =>
        LockedEnvironmentsUpdate.ApplyAsync(session, context.Message.TenantId, set => set.Remove(context.Message.EnvironmentId),
            context.CancellationToken);
}

public sealed class EnvironmentDeletionConsumer(IDocumentStore store, TimeProvider time) :
    IdempotentConsumer<EnvironmentDeleted>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<EnvironmentDeleted> context, IDocumentSession session) =>
        LockedEnvironmentsUpdate.ApplyAsync(session, context.Message.TenantId, set => set.Remove(context.Message.EnvironmentId),
            context.CancellationToken);
}

internal static class LockedEnvironmentsUpdate
{
    public static async Task ApplyAsync(IDocumentSession session, string tenantId, Action<HashSet<string>> change,
        CancellationToken cancellationToken)
    {
        var locked = await session.LoadAsync<TenantLockedEnvironments>(tenantId, cancellationToken)
                     ?? new TenantLockedEnvironments { Id = tenantId };
        change(locked.EnvironmentIds);
        session.Store(locked);
    }
}
