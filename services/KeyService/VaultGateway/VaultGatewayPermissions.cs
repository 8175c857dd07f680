using KeyPlatform.Vault.Gateway;

namespace KeyPlatform.KeyService.VaultGateway;

/// <summary>
/// Who may ask the vault gateway for what (docs/decisions/0020-vault-gateway.md): EnvironmentEncryption gets platform keys,
/// wraps and unwraps data keys; TenantLock imports the key an unlock reinstates (.pfx or .byok), has a .byok sign a
/// possession challenge, and deletes a key it imported when the unlock is refused. Nobody else anything.
/// </summary>
public static class VaultGatewayPermissions
{
    private static readonly Dictionary<string, VaultGatewayOperation[]> Allowed = new(StringComparer.Ordinal)
    {
        [VaultGatewayClients.EnvironmentEncryption] =
            [VaultGatewayOperation.GetPlatformKey, VaultGatewayOperation.Wrap, VaultGatewayOperation.Unwrap],
        [VaultGatewayClients.TenantLock] =
        [
            VaultGatewayOperation.Import, VaultGatewayOperation.ImportByok, VaultGatewayOperation.SignByokChallenge,
            VaultGatewayOperation.DeleteImported,
        ],
    };

    /// <summary>The claim that carries one operation the authenticated client may call.</summary>
    public const string OperationClaim = "vault_operation";

    /// <summary>The claim that names the authenticated client.</summary>
    public const string ClientClaim = "vault_client";

    public static IReadOnlyList<VaultGatewayOperation> For(string client) => Allowed.TryGetValue(client, out var operations) ? operations : [];

    public static string PolicyFor(VaultGatewayOperation operation) => $"vault-gateway:{operation}";
}

/// <summary>Endpoint metadata: the operation a gateway endpoint performs (for its policy and its 403).</summary>
public sealed record VaultGatewayOperationMetadata(VaultGatewayOperation Operation);
