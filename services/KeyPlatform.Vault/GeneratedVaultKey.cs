namespace KeyPlatform.Vault;

/// <summary>
/// A key generated in the vault (K3), with its one and only export: a .pfx protected by the admin's password.
/// Hand <see cref="Pfx"/> to the admin and drop it; it must never be stored, logged or put in an event.
/// </summary>
public sealed record GeneratedVaultKey(VaultKeyInfo Info, byte[] Pfx)
{
    public override string ToString() => $"GeneratedVaultKey {{ Info = {Info}, Pfx = [{Pfx.Length} bytes, not shown] }}";
}
