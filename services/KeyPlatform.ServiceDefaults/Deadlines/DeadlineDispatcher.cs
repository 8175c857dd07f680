using System.Text.Json;
using KeyPlatform.ServiceDefaults.Persistence;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.ServiceDefaults.Deadlines;

/// <summary>Maps a stored payload type name to its CLR type and handler.</summary>
public sealed class DeadlineHandlerRegistry
{
    private readonly Dictionary<string, (Type Payload, Func<IServiceProvider, object, Deadline, IDocumentSession, CancellationToken, Task> Invoke)> handlers = [];

    public void Register<TPayload, THandler>() where TPayload : class where THandler : IDeadlineHandler<TPayload> =>
        handlers[DeadlineScheduling.PayloadTypeName(typeof(TPayload))] = (typeof(TPayload),
            (services, payload, deadline, session, ct) =>
                ActivatorUtilities.GetServiceOrCreateInstance<THandler>(services).HandleAsync((TPayload)payload, deadline, session, ct));

    internal bool TryGet(string payloadType, out Type type, out Func<IServiceProvider, object, Deadline, IDocumentSession, CancellationToken, Task> invoke)
    {
        var found = handlers.TryGetValue(payloadType, out var entry);
        (type, invoke) = entry;
        return found;
    }
}

public static class DeadlineRegistration
{
    public static IServiceCollection AddDeadlineHandler<TPayload, THandler>(this IServiceCollection services)
        where TPayload : class where THandler : class, IDeadlineHandler<TPayload>
    {
        services.AddScoped<THandler>();
        services.Configure<DeadlineHandlerOptions>(o => o.Registrations.Add(r => r.Register<TPayload, THandler>()));
        return services;
    }
}

public sealed class DeadlineHandlerOptions
{
    internal List<Action<DeadlineHandlerRegistry>> Registrations { get; } = [];
}

/// <summary>Polls for due deadlines (a real-time interval; "due" is decided by the injected TimeProvider, so
/// tests and the clock-control mechanism move it). Several instances may run: the optimistic version on the
/// deadline document lets only one commit a firing.</summary>
public sealed class DeadlineDispatcher(
    IDocumentStore store,
    IServiceProvider services,
    TimeProvider time,
    DeadlineHandlerRegistry registry,
    IConfiguration configuration,
    ILogger<DeadlineDispatcher> logger) : BackgroundService
{
    private readonly TimeSpan interval = configuration.GetValue("Deadlines:PollInterval", TimeSpan.FromSeconds(1));
    private readonly bool enabled = configuration.GetValue("Deadlines:Enabled", true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!enabled) return;
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await DispatchDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Deadline dispatch round failed; trying again in {Interval}", interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Fires every deadline due now. Returns how many fired.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<string> due;
        await using (var query = store.QuerySession())
        {
            due = await query.Query<Deadline>()
                .Where(d => d.FiredAt == null && d.CancelledAt == null && d.DueAt <= now)
                .OrderBy(d => d.DueAt).Select(d => d.Id).Take(100).ToListAsync(cancellationToken);
        }

        var fired = 0;
        foreach (var id in due)
        {
            if (await FireAsync(id, now, cancellationToken)) fired++;
        }
        return fired;
    }

    private async Task<bool> FireAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        await using var session = await store.OpenWriteSessionAsync(cancellationToken);
        var deadline = await session.LoadAsync<Deadline>(id, cancellationToken);
        if (deadline is null || !deadline.IsPending || deadline.DueAt > now) return false;
        if (!registry.TryGet(deadline.PayloadType, out var type, out var invoke))
        {
            logger.LogError("No handler for deadline {Deadline} of type {Type}; it stays pending", id, deadline.PayloadType);
            return false;
        }

        session.CorrelationId = deadline.CorrelationId;
        session.CausationId = $"deadline:{deadline.Id}";
        session.LastModifiedBy = "deadline-dispatcher";
        try
        {
            var payload = JsonSerializer.Deserialize(deadline.Payload, type)!;
            await invoke(scope.ServiceProvider, payload, deadline, session, cancellationToken);
            deadline.FiredAt = now;
            session.Store(deadline);
            await session.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Deadline {Deadline} fired (due {DueAt})", id, deadline.DueAt);
            return true;
        }
        catch (Exception e) when (StreamCommands.IsConcurrencyConflict(e))
        {
            logger.LogInformation("Deadline {Deadline} was fired or changed by another instance", id);
            return false;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "Deadline {Deadline} handler failed; it stays pending and is retried", id);
            await RecordFailureAsync(id, e, cancellationToken);
            return false;
        }
    }

    private async Task RecordFailureAsync(string id, Exception error, CancellationToken cancellationToken)
    {
        try
        {
            await using var session = store.LightweightSession();
            var deadline = await session.LoadAsync<Deadline>(id, cancellationToken);
            if (deadline is null || !deadline.IsPending) return;
            deadline.FailedAttempts++;
            deadline.LastError = error.GetType().Name;
            session.Store(deadline);
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (StreamCommands.IsConcurrencyConflict(e))
        {
            // someone else moved it on; nothing to record
        }
    }
}
