using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.ServiceDefaults.Operations;

public static class OperationsSetup
{
    /// <summary>The services behind <see cref="OperationsEndpoints"/>; <paramref name="aggregates"/> is what the service
    /// declared in <c>PlatformServiceOptions.Aggregates</c>.</summary>
    public static IServiceCollection AddPlatformOperations(this IServiceCollection services, AggregateRegistry aggregates)
    {
        services.AddSingleton(aggregates);
        services.AddSingleton<EventStoreReader>();
        services.AddSingleton<ProjectionRebuilds>();
        return services;
    }
}
