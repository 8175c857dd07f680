using System.Text.RegularExpressions;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.Environments;

/// <summary>Reads environments and tenant facts outside a write (for the checks made before any I/O).</summary>
public sealed class EnvironmentReader(IDocumentStore store)
{
    public async Task<TenantEnvironment?> EnvironmentAsync(string environmentId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environmentId), cancellationToken);
    }

    public async Task<TenantFacts?> FactsAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
    }
}

/// <summary>Shapes checked at the edge: ids become stream keys and document ids, so they are kept plain.</summary>
public static partial class Identifiers
{
    /// <summary>Backup and record ids: 1 to <see cref="MaxLength"/> ascii letters, digits, '-', '_' or '.', starting
    /// with a letter or digit. Also valid as an ECMAScript (JSON Schema) pattern.</summary>
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$";

    public const int MaxLength = 100;

    public static Refusal? Check(string? value, string what) =>
        string.IsNullOrWhiteSpace(value) || !Plain().IsMatch(value)
            ? Refusal.Invalid($"{what} must be 1 to {MaxLength} letters, digits, '-', '_' or '.'.")
            : null;

    /// <summary>A name that is only carried in events (the saga's lock cycle ids look like <c>tenant-lock:t:r:1</c>).</summary>
    public static Refusal? CheckText(string? value, string what) =>
        string.IsNullOrWhiteSpace(value) || value.Length > 300 || value.Any(char.IsControl)
            ? Refusal.Invalid($"{what} must be 1 to 300 characters without control characters.")
            : null;

    // \z, not $: in .NET '$' also matches before a final '\n'.
    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,99}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Plain();
}
