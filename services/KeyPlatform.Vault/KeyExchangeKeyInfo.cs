namespace KeyPlatform.Vault;

/// <summary>
/// A region's key-exchange key as the admin sees it before a BYOK export: the <paramref name="Kid"/> to name in the
/// HSM vendor's tool and the public key (PEM, SubjectPublicKeyInfo) to wrap the tenant key for.
/// </summary>
public sealed record KeyExchangeKeyInfo(string Kid, string Region, string PublicKeyPem);
