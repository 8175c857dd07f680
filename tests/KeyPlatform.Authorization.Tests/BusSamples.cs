using System.Reflection;
using KeyPlatform.Contracts.Environments;

namespace KeyPlatform.Authorization.Tests;

/// <summary>A message of any contract type that reaches its consumer's authorisation check and, when let through, is
/// refused by a rule: it acts in <see cref="Caller.OwnTenant"/> (never enabled) on <see cref="Caller.OwnEnvironment"/>
/// (never registered); a registration names <see cref="PlatformHosts.TakenEnvironment"/>.</summary>
public static class BusSamples
{
    public static object Of(Type type)
    {
        if (type == typeof(RegisterEnvironment))
            return new RegisterEnvironment(Caller.OwnTenant, PlatformHosts.Region, PlatformHosts.TakenEnvironment, "Authorisation sample",
                default, default, "9.2", new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).OrderByDescending(c => c.GetParameters().Length).First();
        return constructor.Invoke(constructor.GetParameters().Select(p => ValueFor(p.Name!, p.ParameterType)).ToArray());
    }

    private static object? ValueFor(string name, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
            return name.ToLowerInvariant() switch
            {
                "tenantid" => Caller.OwnTenant,
                "region" => PlatformHosts.Region,
                _ when name.EndsWith("EnvironmentId", StringComparison.OrdinalIgnoreCase) => Caller.OwnEnvironment,
                _ => $"authz-{name.ToLowerInvariant()}",
            };
        if (underlying == typeof(bool)) return true;
        if (underlying == typeof(int)) return 1;
        if (underlying == typeof(long)) return 1L;
        if (underlying == typeof(Guid)) return Guid.NewGuid();
        if (underlying == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        if (underlying == typeof(byte[])) return "not a key file"u8.ToArray();
        if (underlying.IsEnum) return Enum.GetValues(underlying).GetValue(0);
        if (underlying.IsArray) return Array.CreateInstance(underlying.GetElementType()!, 0);
        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
            return Array.CreateInstance(underlying.GetGenericArguments()[0], 0);
        return underlying.IsValueType ? Activator.CreateInstance(underlying) : null;
    }
}
