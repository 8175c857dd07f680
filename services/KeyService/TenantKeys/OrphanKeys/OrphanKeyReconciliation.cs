namespace KeyPlatform.KeyService.TenantKeys.OrphanKeys;

/// <summary>Runs <see cref="OrphanKeyReconciler"/> at start-up and then every <see cref="OrphanKeyOptions.Interval"/> of the
/// service's clock; a failed round is logged and the next one tries again.</summary>
public sealed class OrphanKeyReconciliation(OrphanKeyReconciler reconciler, OrphanKeyOptions options, TimeProvider time,
    ILogger<OrphanKeyReconciliation> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled) return;
        using var timer = new PeriodicTimer(options.Interval, time);
        do
        {
            try
            {
                await reconciler.ReconcileAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Orphan key reconciliation failed ({ExceptionType}); trying again in {Interval}.", e.GetType().Name, options.Interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
