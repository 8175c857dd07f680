using KeyPlatform.Testing;
using KeyPlatform.Vault;

namespace TenantLock.IntegrationTests;

/// <summary>KeyService's real vault, except that while <see cref="FailInstalls"/> is set, the install step's first question
/// (the key's thumbprint) finds no key, as when the vault lost the key between the import and the install.</summary>
public sealed class InstallFailingKeyVault(IKeyVault inner) : DelegatingKeyVault(inner)
{
    public volatile bool FailInstalls;

    public override Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        FailInstalls ? throw new VaultKeyNotFoundException(keyId) : Inner.GetThumbprintAsync(keyId, cancellationToken);
}
