namespace KeyPlatform.Vault;

/// <summary>
/// The key store cannot be reached now (a PKCS#11 token or library that is gone, Azure Key Vault's transport failures or 5xx
/// after its retries, a vault gateway that does not answer): transient, retried by the resilient decorator for idempotent
/// calls, answered 503 with Retry-After at the HTTP edges. The message names the store, never key material or a secret.
/// </summary>
public sealed class VaultUnavailableException(string store, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The store that is unavailable, e.g. "PKCS#11 token 'keyplatform'", an Azure Key Vault address, "vault gateway".</summary>
    public string Store { get; } = store;
}
