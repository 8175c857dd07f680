namespace KeyPlatform.Vault.Gateway;

/// <summary>
/// The internal vault gateway that KeyService serves (docs/decisions/0020-vault-gateway.md): its paths, its clients, the
/// operations each may call, and how a client presents its credential. One place, read by the client adapter
/// (<see cref="VaultGatewayKeyVault"/>) and by KeyService's endpoints.
/// </summary>
public static class VaultGatewayProtocol
{
    /// <summary>The gateway's routes, all under this prefix; none is in the public OpenAPI document.</summary>
    public const string BasePath = "/internal/vault";

    public const string InfoPath = BasePath;
    public const string PlatformKeysPath = BasePath + "/platform-keys";
    public const string WrapKeyPath = BasePath + "/wrapkey";
    public const string UnwrapKeyPath = BasePath + "/unwrapkey";
    public const string ImportPath = BasePath + "/keys/import";
    public const string ImportByokPath = BasePath + "/keys/import-byok";
    public const string DeletePath = BasePath + "/keys/delete";
    public const string SignByokChallengePath = BasePath + "/byok/sign-challenge";

    /// <summary>The <c>Authorization</c> header's scheme: <c>VaultClient {client}:{secret}</c>. Not the users' bearer tokens.</summary>
    public const string AuthorizationScheme = "VaultClient";

    /// <summary>The ProblemDetails extension that says which answer of the port a refusal is (<see cref="VaultGatewayError"/>).</summary>
    public const string ErrorExtension = "vaultError";

    /// <summary>The extension that carries the key id of a <see cref="VaultGatewayError.KeyNotFound"/>.</summary>
    public const string KeyIdExtension = "keyId";

    /// <summary>The extension that carries the reason of a <see cref="VaultGatewayError.KeyOwnership"/> refusal.</summary>
    public const string ReasonExtension = "reason";

    /// <summary>The extension that names the unavailable store of a <see cref="VaultGatewayError.StoreUnavailable"/> (503).</summary>
    public const string StoreExtension = "store";
}

/// <summary>The services that call the gateway, by the name each presents.</summary>
public static class VaultGatewayClients
{
    public const string EnvironmentEncryption = "EnvironmentEncryption";
    public const string TenantLock = "TenantLock";

    public static IReadOnlyList<string> All { get; } = [EnvironmentEncryption, TenantLock];
}

/// <summary>What a client may ask the gateway for; a client is allowed some of these, by name (KeyService decides).</summary>
public enum VaultGatewayOperation
{
    GetPlatformKey,
    Wrap,
    Unwrap,
    Import,
    ImportByok,
    SignByokChallenge,
    DeleteImported,
}

/// <summary>The port's answers that are not values, as the gateway names them in <see cref="VaultGatewayProtocol.ErrorExtension"/>.</summary>
public static class VaultGatewayError
{
    public const string KeyNotFound = "keyNotFound";
    public const string KeyOwnership = "keyOwnership";
    public const string KeyFileRefused = "keyFileRefused";
    public const string UnwrapFailed = "unwrapFailed";
    public const string InvalidArgument = "invalidArgument";
    public const string InvalidOperation = "invalidOperation";
    public const string StoreUnavailable = "storeUnavailable";
}
