using KeyPlatform.Contracts.Messaging;
using System.Security.Cryptography;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;
using MassTransit;

namespace KeyPlatform.KeyService.TenantKeys.Installing;

/// <summary>KeyService to itself, through the relay: install the key that just went <c>Installing</c>.</summary>
[SentBy(Sender.KeyService)]
[MessageUrn("urn:keyplatform:keys:install-tenant-key:v1", false)]
[EntityName("keyplatform.keys.install-tenant-key.v1")]
public sealed record InstallTenantKey(string TenantId, string Region, string KeyId);

/// <summary>K7: the install step proves the key in the vault (its thumbprint, and a wrap/unwrap round trip of a
/// random data key), then the key becomes Active, or Failed with the reason.</summary>
public sealed class InstallTenantKeyConsumer(StreamCommands streams, TenantKeyFactsReader facts, IKeyVault vault,
    ILogger<InstallTenantKeyConsumer> logger) : IConsumer<InstallTenantKey>
{
    public async Task Consume(ConsumeContext<InstallTenantKey> context)
    {
        var message = context.Message;
        var ring = await facts.RingAsync(message.TenantId, message.Region, context.CancellationToken);
        if (ring?.Find(message.KeyId) is not { } key) return;

        var failure = await ProveAsync(key, VaultKeyOwner.Tenant(message.TenantId, message.Region), context.CancellationToken);
        if (failure is not null) logger.LogWarning("Key {KeyId} could not be installed: {Reason}", key.KeyId, failure);
        var commandContext = new CommandContext(Actor.Service(Sender.KeyService), context.MessageId ?? Guid.NewGuid(),
            context.CorrelationId?.ToString() ?? key.KeyId, context.MessageId?.ToString());
        await streams.DecideAsync<TenantKeyRing>(TenantKeyRing.StreamKey(message.TenantId, message.Region), commandContext,
            (state, now) => TenantKeyDecider.Decide(state, new CompleteKeyInstallation(key.KeyId, failure is null, failure), now),
            context.CancellationToken);
    }

    private async Task<string?> ProveAsync(TenantKeyEntry key, VaultKeyOwner owner, CancellationToken cancellationToken)
    {
        var reference = new VaultKeyReference(key.VaultKeyId, owner, key.Thumbprint);
        try
        {
            if (await vault.GetThumbprintAsync(key.VaultKeyId, cancellationToken) != key.Thumbprint)
                return "The key in the vault does not match the key that was added.";
            var probe = RandomNumberGenerator.GetBytes(32);
            var wrapped = await vault.WrapAsync(reference, probe, cancellationToken);
            using var unwrapped = await vault.UnwrapAsync(reference, wrapped.Ciphertext, wrapped.Algorithm, cancellationToken);
            return CryptographicOperations.FixedTimeEquals(unwrapped.PlaintextKey, probe)
                ? null
                : "The vault's wrap and unwrap round trip did not return the data key.";
        }
        catch (VaultKeyNotFoundException)
        {
            return "The key is no longer in the vault.";
        }
        catch (VaultKeyOwnershipException)
        {
            return "The key in the vault is not this tenant's key of this region, or not the key that was added.";
        }
    }
}
