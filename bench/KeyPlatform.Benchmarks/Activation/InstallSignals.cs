using System.Collections.Concurrent;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.KeyService.TenantKeys.Installing;
using MassTransit;

namespace KeyPlatform.Benchmarks.Activation;

/// <summary>Tells the harness when KeyService's install step for a tenant has finished (its consumer returned, so the
/// key's fate is committed), so the harness asks the key inventory once at that moment instead of polling it and
/// loading the two cores it measures on.</summary>
public sealed class InstallSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> waiting = new(StringComparer.Ordinal);

    public Task<long> ExpectAsync(string tenantId) =>
        waiting.GetOrAdd(tenantId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Forget(string tenantId) => waiting.TryRemove(tenantId, out _);

    internal void Installed(string tenantId)
    {
        var now = Clock.Now;
        if (waiting.TryRemove(tenantId, out var done)) done.TrySetResult(now);
    }
}

public sealed class InstallObserver(InstallSignals signals) : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is InstallTenantKey install) signals.Installed(install.TenantId);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
