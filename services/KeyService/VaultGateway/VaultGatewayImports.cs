using KeyPlatform.KeyService.TenantKeys;
using Marten;

namespace KeyPlatform.KeyService.VaultGateway;

/// <summary>A key a gateway client imported: the one a client may later delete (TenantLock takes back the key of a refused
/// unlock). KeyService's own document; the key id is the vault's.</summary>
public sealed record VaultGatewayImport(string Id, string Client, DateTimeOffset ImportedAt);

/// <summary>Which client imported which key (<see cref="VaultGatewayImport"/>), in KeyService's schema, and whether a key ring
/// has taken it in since (then it is the tenant's key, no longer the client's to delete).</summary>
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

    /// <summary>Deletes the records that can no longer allow anything, once imported before <paramref name="importedBefore"/>:
    /// of a key some ring names (a delete of it is refused whoever imported it) or of a key the store no longer holds (it was
    /// deleted). Until then a repeated delete of the same key still answers false, as the port says. Returns how many.</summary>
    public async Task<int> PruneAsync(IReadOnlySet<string> namedByARing, IReadOnlySet<string> inStore, DateTimeOffset importedBefore,
        CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var old = await session.Query<VaultGatewayImport>().Where(import => import.ImportedAt < importedBefore).ToListAsync(cancellationToken);
        var spent = old.Where(import => namedByARing.Contains(import.Id) || !inStore.Contains(import.Id)).ToList();
        if (spent.Count == 0) return 0;
        foreach (var import in spent) session.Delete(import);
        await session.SaveChangesAsync(cancellationToken);
        return spent.Count;
    }

    /// <summary>Whether any tenant key ring's events name this vault key (<see cref="KeyAdded"/>, <see cref="KeyReinstated"/>):
    /// an unlock's import becomes the ring's live key once KeyService reinstates it (U1). Read from the event store, not the
    /// ring documents, so a projection being rebuilt cannot make a live key look deletable.</summary>
    public async Task<bool> NamedByAKeyRingAsync(string keyId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<KeyReinstated>().AnyAsync(e => e.VaultKeyId == keyId, cancellationToken)
               || await session.Events.QueryRawEventDataOnly<KeyAdded>().AnyAsync(e => e.VaultKeyId == keyId, cancellationToken);
    }
}
