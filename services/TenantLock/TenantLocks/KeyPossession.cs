using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.TenantLock.TenantLocks;

/// <summary>A key file and its password as the admin uploads it to lock (L1) or unlock (U1). Never shown.</summary>
public sealed record KeyFileUpload(byte[] File, string FileName, string? Password)
{
    public bool IsByok => FileName.EndsWith(".byok", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"KeyFileUpload {{ {FileName}, {File.Length} bytes }}";
}

/// <summary>Proof of possession for lock (L1) and unlock (U1), made by <see cref="PossessionProof"/>: the uploaded
/// file's private key (a .pfx with its password, in memory here; a .byok, inside the vault) signs a fresh challenge,
/// verified with the public key the file carries. The proved public key's thumbprint is then what the decider compares
/// with the active key (L1) or the locking key (U1). A file that cannot be read, or whose private key does not match
/// its public key, proves nothing.</summary>
public sealed class KeyPossession(IKeyVault vault)
{
    public async Task<(Refusal? Refusal, string? Thumbprint)> ThumbprintAsync(KeyFileUpload upload, string region, string rule,
        CancellationToken cancellationToken)
    {
        var purpose = rule == Rules.U1 ? PossessionProof.UnlockPurpose : PossessionProof.LockPurpose;
        if (upload.IsByok)
        {
            var byok = await PossessionProof.ProveByokAsync(vault, upload.File, region, purpose, cancellationToken);
            return byok.IsRefused ? (Unproved(rule, byok.Refusal!), null) : (null, byok.Value);
        }
        var pfx = KeyFileReader.ReadPfx(upload.File, upload.Password);
        if (pfx.Refusal is { } refusal) return (Unproved(rule, refusal), null);
        using var key = pfx.Value;
        var proved = PossessionProof.Prove(key.PrivateKey, purpose);
        return proved.IsRefused ? (Unproved(rule, proved.Refusal!), null) : (null, proved.Value);
    }

    /// <summary>U1: puts the proved key back in the vault (as a new vault key of the tenant and region) and returns it.</summary>
    public async Task<(Refusal? Refusal, VaultKeyInfo? Key)> ImportAsync(KeyFileUpload upload, VaultKeyName name, VaultKeyOwner owner,
        string provedThumbprint, CancellationToken cancellationToken)
    {
        if (upload.IsByok)
        {
            var imported = await vault.ImportByokAsync(name, owner, upload.File, provedThumbprint, cancellationToken);
            return imported.IsRefused ? (Unproved(Rules.U1, imported.Refusal!), null) : (null, imported.Value);
        }
        var pfx = KeyFileReader.ReadPfx(upload.File, upload.Password);
        if (pfx.Refusal is { } refusal) return (Unproved(Rules.U1, refusal), null);
        using var key = pfx.Value;
        if (key.Thumbprint != provedThumbprint)
            return (Unproved(Rules.U1, KeyFileRefusal.K2("The file does not carry the key whose possession was proved.")), null);
        return (null, await vault.ImportAsync(name, owner, key.PrivateKey, cancellationToken));
    }

    private static Refusal Unproved(string rule, KeyFileRefusal refusal) =>
        new(rule, $"The key file does not prove possession of the key: {refusal.Reason}");
}
