using JasperFx.Events;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.Tenants;
using KeyPlatform.ServiceDefaults.Messaging;

namespace KeyPlatform.KeyService.Messaging;

/// <summary>Which KeyService domain events leave the service, and as which contracts.</summary>
public sealed class KeyServiceIntegrationEvents : IIntegrationEventMap
{
    public IEnumerable<OutgoingMessage> Map(IEvent @event) => @event.Data switch
    {
        TenantEnabled e => [OutgoingMessage.Publish(new TenantEncryptionEnabled(e.TenantId, e.QualifyingLicences, e.EnabledAt))],
        _ => [],
    };
}
