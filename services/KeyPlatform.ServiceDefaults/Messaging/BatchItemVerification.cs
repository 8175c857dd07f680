using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>X2 for the messages a batch consumer takes. MassTransit adds a consume filter to each message a consumer is
/// configured for; a batch consumer is configured for <see cref="Batch{T}"/>, and the single messages it collects are
/// dispatched through a pipe of their own that no consumer configuration sees. So the sender check is added to the
/// endpoint's pipe of each item type, where every message of that type passes before it joins a batch.</summary>
public static class BatchItemVerification
{
    /// <summary>The item types of the batch consumers registered in <paramref name="services"/>.</summary>
    public static IReadOnlyList<Type> BatchItemTypes(IServiceCollection services) =>
        services.Select(d => d.ImplementationType ?? d.ServiceType)
            .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false })
            .SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            .Where(m => m.IsGenericType && m.GetGenericTypeDefinition() == typeof(Batch<>))
            .Select(m => m.GetGenericArguments()[0])
            .Distinct()
            .ToList();

    public static void VerifySendersOfBatchItems(this IReceiveEndpointConfigurator endpoint, IEnumerable<Type> itemTypes,
        IServiceProvider services)
    {
        var add = typeof(BatchItemVerification).GetMethod(nameof(Verify), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        foreach (var itemType in itemTypes) add.MakeGenericMethod(itemType).Invoke(null, [endpoint, services]);
    }

    private static void Verify<T>(IReceiveEndpointConfigurator endpoint, IServiceProvider services) where T : class =>
        endpoint.AddPipeSpecification(new FilterPipeSpecification<ConsumeContext<T>>(
            ActivatorUtilities.CreateInstance<SenderVerificationFilter<T>>(services)));
}
