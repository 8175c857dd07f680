using System.Collections.Concurrent;
using System.Reflection;
using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.ServiceDefaults.Identifiers;

/// <summary>
/// X3 for commands, over HTTP and the bus alike: the ids a command carries, found by name once per command type:
/// <c>TenantId</c>, <c>Region</c>, and every <c>...EnvironmentId</c> (string properties). Called where the two edges
/// meet a handler (<see cref="CommandEndpoints"/>, the bus command consumers), before any handler runs.
/// </summary>
public static class CommandIds
{
    private static readonly ConcurrentDictionary<Type, IdField[]> Fields = new();

    /// <summary>The first id of the command that is not canonical (or an unknown region), else null.</summary>
    public static Refusal? Check(this PlatformIds ids, object command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var field in FieldsOf(command.GetType()))
        {
            var value = (string?)field.Property.GetValue(command);
            var refusal = field.Kind switch
            {
                IdKind.Tenant => ids.CheckTenantId(value),
                IdKind.Region => ids.CheckRegion(value),
                _ => ids.CheckEnvironmentId(value, field.Description),
            };
            if (refusal is not null) return refusal;
        }

        return null;
    }

    /// <summary>The id properties of a command type, as <see cref="Check"/> reads them (for tests and docs).</summary>
    public static IReadOnlyList<string> IdPropertiesOf(Type commandType) => FieldsOf(commandType).Select(f => f.Property.Name).ToList();

    private static IdField[] FieldsOf(Type type) => Fields.GetOrAdd(type, static t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.PropertyType == typeof(string) && p.GetIndexParameters().Length == 0)
        .Select(p => p.Name switch
        {
            "TenantId" => new IdField(p, IdKind.Tenant, "tenant id"),
            "Region" => new IdField(p, IdKind.Region, "region"),
            _ when p.Name.EndsWith("EnvironmentId", StringComparison.Ordinal) =>
                new IdField(p, IdKind.Environment, Describe(p.Name)),
            _ => null,
        })
        .OfType<IdField>()
        .OrderBy(f => f.Kind)
        .ToArray());

    /// <summary>"SourceEnvironmentId" reads "source environment id".</summary>
    private static string Describe(string propertyName)
    {
        var prefix = propertyName[..^"EnvironmentId".Length];
        return prefix.Length == 0 ? "environment id" : $"{prefix.ToLowerInvariant()} environment id";
    }

    private enum IdKind { Tenant, Region, Environment }

    private sealed record IdField(PropertyInfo Property, IdKind Kind, string Description);
}
