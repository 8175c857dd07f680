namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// Azure Key Vault answered an operation with an error the adapter does not turn into an answer of the port (403 no
/// permission, 401 after the challenge, 409, 429 or 5xx after the pipeline's retries, or no answer at all). The message
/// names the vault, the operation, the status and Key Vault's error code; never key material or a token. Not retried
/// again above the pipeline (see docs/decisions/0013).
/// </summary>
public sealed class AzureKeyVaultRequestException : Exception
{
    public AzureKeyVaultRequestException(Uri vault, string operation, int status, string? errorCode, string reason, Exception? inner = null)
        : base($"Azure Key Vault {vault} refused '{operation}'" +
               (status == 0 ? "" : $" ({status}{(errorCode is null ? "" : $", {errorCode}")})") + $": {reason}", inner)
    {
        Vault = vault;
        Operation = operation;
        Status = status;
        ErrorCode = errorCode;
    }

    public Uri Vault { get; }

    public string Operation { get; }

    /// <summary>The HTTP status; 0 when the vault was not reached.</summary>
    public int Status { get; }

    /// <summary>Key Vault's <c>error.code</c> (and inner code after a slash), e.g. <c>Forbidden/AccessDenied</c>.</summary>
    public string? ErrorCode { get; }
}
