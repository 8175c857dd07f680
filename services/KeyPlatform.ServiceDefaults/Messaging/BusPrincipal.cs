using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using MassTransit;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>Writes and reads the acting principal in message headers.</summary>
public static class BusPrincipal
{
    public static void SetActor(this SendContext context, Actor actor)
    {
        context.Headers.Set(PrincipalHeaders.Subject, actor.Subject);
        context.Headers.Set(PrincipalHeaders.Tenant, actor.TenantId);
        context.Headers.Set(PrincipalHeaders.Roles, string.Join(",", actor.Roles));
        context.Headers.Set(PrincipalHeaders.Environments, string.Join(",", actor.Environments));
    }

    public static Actor? GetActor(this Headers headers)
    {
        var subject = headers.Get<string>(PrincipalHeaders.Subject);
        var tenant = headers.Get<string>(PrincipalHeaders.Tenant);
        if (string.IsNullOrWhiteSpace(subject) || string.IsNullOrWhiteSpace(tenant)) return null;
        return new Actor(subject, tenant, Split(headers.Get<string>(PrincipalHeaders.Roles)),
            Split(headers.Get<string>(PrincipalHeaders.Environments)));
    }

    private static HashSet<string> Split(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
}
