using Marten;

namespace KeyPlatform.KeyService.VaultGateway;

/// <summary>A key a gateway client imported: the one a client may later delete (TenantLock takes back the key of a refused
/// unlock). KeyService's own document; the key id is the vault's.</summary>
public sealed record VaultGatewayImport(string Id, string Client, DateTimeOffset ImportedAt);

/// <summary>Which client imported which key (<see cref="VaultGatewayImport"/>), in KeyService's schema.</summary>
public sealed class VaultGatewayImports(IDocumentStore store, TimeProvider time)
{
    public async Task RecordAsync(string keyId, string client, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        session.Store(new VaultGatewayImport(keyId, client, time.GetUtcNow()));
        await session.SaveChangesAsync(cancellationToken);
    }

    public async Task<bool> ImportedByAsync(string keyId, string client, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<VaultGatewayImport>(keyId, cancellationToken) is { } import && import.Client == client;
    }
}
