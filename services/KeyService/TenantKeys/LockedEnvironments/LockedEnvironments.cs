using KeyPlatform.Contracts.Environments;
using KeyPlatform.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace KeyPlatform.KeyService.TenantKeys.LockedEnvironments;

/// <summary>One locked environment of a tenant's region, as this service learns it from EnvironmentEncryption's events:
/// what K10, K11 and U3 are decided on, per (tenant, region) as K1 says. One document per environment, so hundreds of
/// environments locking at once never contend for the same document.</summary>
public sealed class LockedEnvironment
{
    public string Id { get; set; } = "";
    public string TenantId { get; set; } = "";
    public string Region { get; set; } = "";
}

public sealed class EnvironmentLockConsumer(IDocumentStore store, TimeProvider time) :
    IdempotentConsumer<EnvironmentLocked>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<EnvironmentLocked> context, IDocumentSession session)
    {
        session.Store(new LockedEnvironment
        {
            Id = context.Message.EnvironmentId, TenantId = context.Message.TenantId, Region = context.Message.Region,
        });
        return Task.CompletedTask;
    }
}

public sealed class EnvironmentUnlockConsumer(IDocumentStore store, TimeProvider time) :
    IdempotentConsumer<EnvironmentUnlocked>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<EnvironmentUnlocked> context, IDocumentSession session)
    {
        session.Delete<LockedEnvironment>(context.Message.EnvironmentId);
        return Task.CompletedTask;
    }
}

public sealed class EnvironmentDeletionConsumer(IDocumentStore store, TimeProvider time) :
    IdempotentConsumer<EnvironmentDeleted>(store, time)
{
    protected override Task HandleAsync(ConsumeContext<EnvironmentDeleted> context, IDocumentSession session)
    {
        session.Delete<LockedEnvironment>(context.Message.EnvironmentId);
        return Task.CompletedTask;
    }
}
