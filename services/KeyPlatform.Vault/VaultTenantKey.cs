namespace KeyPlatform.Vault;

/// <summary>A tenant key the store holds, as <see cref="IKeyVault.ListTenantKeysAsync"/> lists it: public information only.</summary>
/// <param name="KeyId">The vault's id of the key, the one its ring records.</param>
/// <param name="Owner">The tenant and region the key was stored for.</param>
/// <param name="CreatedAt">When the store created or imported it (Key Vault: whole seconds).</param>
public sealed record VaultTenantKey(string KeyId, VaultKeyOwner Owner, DateTimeOffset CreatedAt);
