using System.Security.Cryptography;
using System.Text;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;
using Marten;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;

/// <summary>
/// K8 for an algorithm change (docs/decisions/0017): when the vault wraps with another algorithm than online tenant-key
/// environments' data keys record (data wrapped by another store, or a changed <c>Vault:Pkcs11:WrappingAlgorithm</c>),
/// a rewrap run per tenant and region moves them, under the tenant's active key, to the vault's algorithm, without downtime;
/// until then every data key unwraps with the algorithm it records (D3). Runs once at start-up: the algorithm only changes
/// with the configuration. The run id is derived from what is to be done, so instances starting together start one run.
/// </summary>
public sealed class AlgorithmRewrapStarter(IDocumentStore store, DataKeyVault vault, TimeProvider time, ILogger<AlgorithmRewrapStarter> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await StartRunsAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing is lost: every data key still unwraps with the algorithm it records (D3); the next start tries again.
            logger.LogWarning("Could not start the rewraps to the vault's wrapping algorithm ({ExceptionType}); the next start tries again",
                e.GetType().Name);
        }
    }

    /// <summary>Starts the runs still needed; returns their ids (none when every data key is on the vault's algorithm).</summary>
    public async Task<IReadOnlyList<string>> StartRunsAsync(CancellationToken cancellationToken)
    {
        var preferred = vault.PreferredAlgorithm;
        await using var query = store.QuerySession();
        var stale = preferred == WrappingAlgorithm.RsaOaep256
            ? query.Query<TenantEnvironment>().Where(e => e.DataKey!.Algorithm != null && e.DataKey.Algorithm != preferred)
            : query.Query<TenantEnvironment>().Where(e => e.DataKey!.Algorithm == null || e.DataKey.Algorithm != preferred);
        var environments = await stale
            .Where(e => e.State == EnvironmentState.Active && e.Protection == EnvironmentProtection.TenantKey)
            .ToListAsync(cancellationToken);

        var started = new List<string>();
        foreach (var group in environments.GroupBy(e => (e.TenantId, e.Region)))
        {
            var (tenantId, region) = group.Key;
            var facts = await query.LoadAsync<TenantFacts>(TenantFacts.StreamKey(tenantId), cancellationToken);
            if (facts?.ActiveKey(region) is not { } active) continue;
            var due = group.Where(e => EnvironmentDecider.NeedsRewrap(e, active, preferred)).OrderBy(e => e.EnvironmentId, StringComparer.Ordinal).ToList();
            if (due.Count == 0) continue;

            var rewrapId = RunId(preferred, active, due);
            await using var session = await store.OpenWriteSessionAsync(cancellationToken);
            session.Events.StartStream<RewrapRun>(RewrapRun.StreamKey(rewrapId), new RewrapStarted(rewrapId, tenantId, region, active.KeyId,
                active.Thumbprint, due.Select(e => e.EnvironmentId).ToList(), time.GetUtcNow()));
            try
            {
                await session.SaveChangesAsync(cancellationToken);
                logger.LogInformation("Rewrap {Rewrap}: {Count} data keys of tenant {Tenant} in {Region} move to {Algorithm}",
                    rewrapId, due.Count, tenantId, region, preferred);
                started.Add(rewrapId);
            }
            catch (Exception e) when (StreamCommands.IsConcurrencyConflict(e))
            {
                // Another instance started the same run.
            }
        }
        return started;
    }

    /// <summary>The same work gets the same id: the algorithm, the target key and each environment's current wrap.</summary>
    private static string RunId(string algorithm, ActiveTenantKey target, IEnumerable<TenantEnvironment> due)
    {
        var work = new StringBuilder().Append(algorithm).Append('|').Append(target.KeyId);
        foreach (var e in due) work.Append('|').Append(e.EnvironmentId).Append(':').Append(e.DataKey!.DataKeyId).Append(':').Append(e.DataKey.WrappedAt.UtcTicks);
        return "algorithm-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(work.ToString())))[..32];
    }
}
