using System.Linq.Expressions;
using KeyPlatform.ServiceDefaults.Deadlines;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Persistence;

/// <summary>Configuration section <c>Messaging</c>: how long the rows that make repeats harmless are kept.</summary>
public sealed class RetentionOptions
{
    /// <summary>The least retention accepted: longer than MassTransit's redelivery (seconds) and a relay's replay of
    /// its last page after a restart (the service's downtime), with room for an operator to move error-queue messages
    /// back. See docs/decisions/0025-http-idempotency-and-retention.md.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromDays(1);

    /// <summary><c>Messaging:Retention</c>: handled messages (the inbox), remembered answers of Idempotency-Keys, and
    /// fired or cancelled deadlines are deleted once older than this.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary><c>Messaging:PruneInterval</c>: how often (real time) each instance deletes what is older.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Rows deleted per statement, so a first run over a large table never holds many locks at once.</summary>
    public int PruneBatch { get; init; } = 500;

    public static RetentionOptions FromConfiguration(IConfiguration configuration)
    {
        var options = new RetentionOptions
        {
            Retention = configuration.GetValue("Messaging:Retention", TimeSpan.FromDays(7)),
            PruneInterval = configuration.GetValue("Messaging:PruneInterval", TimeSpan.FromHours(1)),
        };
        if (options.Retention < Minimum)
            throw new InvalidOperationException(
                $"Messaging:Retention is {options.Retention}; it must be at least {Minimum}: a redelivered message or a retried request younger than it must still be recognised.");
        if (options.PruneInterval <= TimeSpan.Zero)
            throw new InvalidOperationException("Messaging:PruneInterval must be positive.");
        return options;
    }
}

/// <summary>
/// Deletes, in every instance of a service, what is kept only so repeats change nothing, once it is older than the
/// retention (by the injected <see cref="TimeProvider"/>): handled messages, remembered answers, fired and cancelled
/// deadlines. Batched deletes by id; two instances deleting the same rows only find some already gone.
/// </summary>
public sealed class Retention(IDocumentStore store, TimeProvider time, RetentionOptions options, ILogger<Retention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PruneInterval);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Pruning kept messages failed; trying again in {Interval}", options.PruneInterval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Deletes every kept row older than the retention. Returns how many.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow() - options.Retention;
        var deleted = await DeleteAsync<HandledMessage>(m => m.HandledAt < cutoff, m => m.Id, cancellationToken)
            + await DeleteAsync<RememberedAnswer>(a => a.RecordedAt < cutoff, a => a.Id, cancellationToken)
            + await DeleteAsync<Deadline>(d => d.FiredAt != null && d.FiredAt < cutoff, d => d.Id, cancellationToken)
            + await DeleteAsync<Deadline>(d => d.CancelledAt != null && d.CancelledAt < cutoff, d => d.Id, cancellationToken);
        if (deleted > 0) logger.LogInformation("Deleted {Count} kept rows older than {Cutoff}", deleted, cutoff);
        return deleted;
    }

    private async Task<int> DeleteAsync<T>(Expression<Func<T, bool>> old, Expression<Func<T, string>> id,
        CancellationToken cancellationToken) where T : class
    {
        var total = 0;
        while (true)
        {
            await using var session = store.LightweightSession();
            var ids = await session.Query<T>().Where(old).Select(id).Take(options.PruneBatch).ToListAsync(cancellationToken);
            if (ids.Count == 0) return total;
            foreach (var each in ids) session.Delete<T>(each);
            await session.SaveChangesAsync(cancellationToken);
            total += ids.Count;
            if (ids.Count < options.PruneBatch) return total;
        }
    }
}
