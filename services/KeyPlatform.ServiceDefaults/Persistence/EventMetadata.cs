using System.Diagnostics;
using KeyPlatform.ServiceDefaults.Commands;
using Marten;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>Names of the event headers we write beside Marten's own correlation, causation and user name.</summary>
public static class EventHeaders
{
    public const string ActorTenant = "actor-tid";
    public const string ActorRoles = "actor-roles";
    public const string TraceParent = "traceparent";
    public const string CommandId = "command-id";
}

public static class SessionMetadata
{
    /// <summary>Stamps every event this session appends with the actor, correlation and causation ids (S1), and
    /// the current trace so the relay can continue it.</summary>
    public static IDocumentSession WithContext(this IDocumentSession session, CommandContext context)
    {
        session.CorrelationId = context.CorrelationId;
        session.CausationId = context.CausationId ?? context.CommandId.ToString();
        session.LastModifiedBy = context.Actor.Subject;
        session.SetHeader(EventHeaders.ActorTenant, context.Actor.TenantId);
        session.SetHeader(EventHeaders.ActorRoles, string.Join(",", context.Actor.Roles.Order(StringComparer.Ordinal)));
        session.SetHeader(EventHeaders.CommandId, context.CommandId.ToString());
        if (Activity.Current?.Id is { } traceParent) session.SetHeader(EventHeaders.TraceParent, traceParent);
        return session;
    }
}
