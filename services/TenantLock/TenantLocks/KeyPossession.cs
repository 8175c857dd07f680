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

/// <summary>Proof of possession: the thumbprint of the key in the uploaded file (a .pfx with its password, or a
/// .byok the region's key-exchange key opens). A file that cannot be read proves nothing (L1).</summary>
public sealed class KeyPossession(IKeyVault vault)
{
    public async Task<(Refusal? Refusal, string? Thumbprint)> ThumbprintAsync(KeyFileUpload upload, string region, string rule,
        CancellationToken cancellationToken)
    {
        if (upload.IsByok)
        {
            var byok = await vault.ReadByokThumbprintAsync(upload.File, region, cancellationToken);
            return byok.IsRefused ? (Unproved(rule, byok.Refusal!), null) : (null, byok.Value);
        }
        var pfx = KeyFileReader.ReadPfx(upload.File, upload.Password);
        if (pfx.Refusal is { } refusal) return (Unproved(rule, refusal), null);
        using var key = pfx.Value;
        return (null, key.Thumbprint);
    }

    /// <summary>U1: puts the proved key back in the vault (as a new vault key) and returns its id.</summary>
    public async Task<(Refusal? Refusal, VaultKeyInfo? Key)> ImportAsync(KeyFileUpload upload, VaultKeyName name, string region,
        CancellationToken cancellationToken)
    {
        if (upload.IsByok)
        {
            var imported = await vault.ImportByokAsync(name, upload.File, region, cancellationToken);
            return imported.IsRefused ? (Unproved(Rules.U1, imported.Refusal!), null) : (null, imported.Value);
        }
        var pfx = KeyFileReader.ReadPfx(upload.File, upload.Password);
        if (pfx.Refusal is { } refusal) return (Unproved(Rules.U1, refusal), null);
        using var key = pfx.Value;
        return (null, await vault.ImportAsync(name, key.PrivateKey, cancellationToken));
    }

    private static Refusal Unproved(string rule, KeyFileRefusal refusal) =>
        new(rule, $"The key file does not prove possession of the key: {refusal.Reason}");
}
