using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Core;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// The vault on Azure Key Vault (a Premium vault or a Managed HSM), over its REST API with Azure.Core and Azure.Identity.
/// Key ids are Key Vault's own key identifiers (<c>{vault}/keys/{name}/{version}</c>); a key's owner and thumbprint are
/// in its tags and checked before every wrap and unwrap. Wrap and unwrap are Key Vault's <c>wrapkey</c> / <c>unwrapkey</c>
/// with RSA-OAEP-256; deleting a tenant key deletes it and, with <see cref="AzureKeyVaultOptions.PurgeOnDelete"/>, purges
/// it, unless the vault's purge protection refuses: then the key is recoverable, and not destroyed, until Key Vault purges
/// it at the end of its retention period (<see cref="GetStateAsync"/> says so).
/// </summary>
/// <remarks>
/// Verified against the documented REST contract (an in-process server in the tests), not against the Azure service.
/// See docs/decisions/0013-azure-key-vault-adapter.md.
/// </remarks>
public sealed class AzureKeyVaultAdapter : IKeyVault
{
    private const string WrapAlgorithm = WrappingAlgorithm.RsaOaep256;
    private const string SignAlgorithm = "PS256";
    private static readonly string[] DataKeyOps = ["wrapKey", "unwrapKey"];
    private static readonly string[] KeyExchangeOps = ["import"];
    private static readonly string[] ProofOps = ["sign"];

    /// <summary>How long the temporary copy of a .byok key made for a possession proof may sign (Key Vault's <c>exp</c>).</summary>
    private static readonly TimeSpan ProofKeyLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How old a region key's chosen version must be before no racing creation can come before it.</summary>
    private static readonly TimeSpan RegionKeySettleTime = TimeSpan.FromMinutes(1);

    private readonly AzureKeyVaultOptions _options;
    private readonly KeyVaultRestClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly VaultRegion _regions;
    private readonly ConcurrentDictionary<string, KeyVaultKey> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<VaultKeyOwner, KeyVaultKey> _regionKeys = new();
    private readonly SemaphoreSlim _regionKeyGate = new(1, 1);

    /// <summary>Key Vault's <c>RSA-OAEP-256</c>, what every wrap here records.</summary>
    public string PreferredWrappingAlgorithm => WrapAlgorithm;

    public AzureKeyVaultAdapter(AzureKeyVaultOptions options, TimeProvider? timeProvider = null, ILogger<AzureKeyVaultAdapter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _client = new KeyVaultRestClient(options, AzureCredentials.Create(options), _time);
        _logger = logger ?? NullLogger<AzureKeyVaultAdapter>.Instance;
        _regions = new VaultRegion(options.Regions);
    }

    public Uri VaultUri => _client.Vault;

    /// <summary>
    /// The start-up check: one authenticated GET of a key that does not exist. A 404 means the vault answers and the
    /// identity may read keys; anything else fails with the reason (unreachable, credential refused, no permission).
    /// </summary>
    public async Task CheckReachableAsync(CancellationToken cancellationToken = default)
    {
        using var _ = await _client.SendAsync(RequestMethod.Get, "keys/keyplatform-start-up-check", null, "start-up check (get key)",
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(privateKey);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        VaultArguments.RequireTenantKeySize(privateKey);

        return (await ImportPrivateKeyAsync(NewName(), tenantOwner, name.Value, privateKey, cancellationToken)
            .ConfigureAwait(false)).ToInfo();
    }

    public async Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(
        VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(provedThumbprint);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        // The proved thumbprint goes into the tags; the key Key Vault unwrapped must have it, or it is destroyed again.
        var tags = KeyVaultKey.Tags(tenantOwner, name.Value, provedThumbprint);
        var imported = await ImportByokFileAsync(byokFile, tenantOwner.Region, NewName(), DataKeyOps, tags, null,
            "import .byok key", cancellationToken).ConfigureAwait(false);
        if (imported.IsRefused)
        {
            return imported.Refusal!;
        }

        var key = imported.Value;
        if (!string.Equals(key.Thumbprint, provedThumbprint, StringComparison.Ordinal))
        {
            await DestroyAsync(key.Id.Name, purge: true, cancellationToken).ConfigureAwait(false);
            return KeyFileRefusal.K2("The .byok file does not carry the key whose possession was proved.");
        }

        return Remember(key).ToInfo();
    }

    /// <summary>
    /// Key Vault opens a .byok only by importing it. So the key is imported under a temporary name, may only sign, and
    /// expires in minutes; it signs the challenge and is deleted and purged at once, whatever the result. A vault with
    /// purge protection keeps that disabled-for-use, expired copy soft-deleted until its retention period ends (decision 0013).
    /// </summary>
    public async Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(
        byte[] byokFile, string region, PossessionChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var name = $"proof-{Guid.CreateVersion7():N}";
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { [KeyVaultKey.PurposeTag] = "possession-proof" };
        var imported = await ImportByokFileAsync(byokFile, region, name, ProofOps, tags, _time.GetUtcNow().Add(ProofKeyLifetime),
            "import .byok for a possession proof", cancellationToken).ConfigureAwait(false);
        if (imported.IsRefused)
        {
            return imported.Refusal!;
        }

        var key = imported.Value;
        try
        {
            var digest = SHA256.HashData(challenge.ToBeSigned());
            using var body = KeyVaultRequests.Operation(SignAlgorithm, digest);
            using var signed = await _client.SendAsync(RequestMethod.Post, $"keys/{key.Id.Name}/{key.Id.Version}/sign", body.Json,
                "sign a possession challenge", cancellationToken).ConfigureAwait(false);
            return new PossessionSignature(key.SubjectPublicKeyInfo, Value(RequireFound(signed, key.Kid)));
        }
        finally
        {
            await DestroyProofKeyAsync(name).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes and purges the proof's temporary copy. A failure here must not replace the proof's own result (the copy can
    /// only sign and expires in minutes): it is logged, with the vault's status and error code and no key material, for the
    /// orphan reconciliation.
    /// </summary>
    private async Task DestroyProofKeyAsync(string name)
    {
        try
        {
            await DestroyAsync(name, purge: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is AzureKeyVaultRequestException or VaultUnavailableException or TimeoutException
                                            or InvalidOperationException)
        {
            var refused = failure as AzureKeyVaultRequestException ?? failure.InnerException as AzureKeyVaultRequestException;
            _logger.LogWarning(
                "The possession proof's temporary key {KeyName} in {Vault} could not be deleted and purged ({ExceptionType}, status {Status}, {ErrorCode}); it expires and can only sign.",
                name, VaultUri, failure.GetType().Name, refused?.Status, refused?.ErrorCode);
        }
    }

    /// <summary>K3: generated in process (it must leave once as the admin's .pfx), exported, imported; see decision 0013.</summary>
    public async Task<GeneratedVaultKey> GenerateAsync(
        VaultKeyName name, VaultKeyOwner owner, string pfxPassword, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        VaultArguments.RequirePfxPassword(pfxPassword);

        using var rsa = RSA.Create(LocalKeyVault.DataKeyWrappingKeySizeBits);
        // The .pfx is made before the key is stored, so a failure leaves nothing behind in the vault.
        var pfx = SelfSignedPfx.Export(rsa, name, pfxPassword, _time.GetUtcNow());
        var key = await ImportPrivateKeyAsync(NewName(), tenantOwner, name.Value, rsa, cancellationToken).ConfigureAwait(false);
        return new GeneratedVaultKey(key.ToInfo(), pfx);
    }

    public async Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToWrap(plaintextKey);
        var found = await RequireDataKeyWrappingKeyAsync(key, cancellationToken).ConfigureAwait(false);
        using var body = KeyVaultRequests.Operation(WrapAlgorithm, plaintextKey.Span);
        using var answer = await _client.SendAsync(RequestMethod.Post, $"keys/{found.Id.Name}/{found.Id.Version}/wrapkey", body.Json,
            "wrap key", cancellationToken).ConfigureAwait(false);
        return new WrappedKey(found.Kid, found.Id.Version, Value(RequireFound(answer, found.Kid)), WrapAlgorithm);
    }

    public async Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToUnwrap(wrappedKey);
        _ = WrappingAlgorithm.Padding(algorithm);
        var found = await RequireDataKeyWrappingKeyAsync(key, cancellationToken).ConfigureAwait(false);
        using var body = KeyVaultRequests.Operation(algorithm, wrappedKey.Span);
        KeyVaultAnswer answer;
        try
        {
            answer = await _client.SendAsync(RequestMethod.Post, $"keys/{found.Id.Name}/{found.Id.Version}/unwrapkey", body.Json,
                "unwrap key", cancellationToken).ConfigureAwait(false);
        }
        catch (AzureKeyVaultRequestException refused) when (refused.Status == 400)
        {
            // Key Vault answers a ciphertext that does not decrypt under the key with 400 (BadParameter).
            throw new CryptographicException($"Key '{found.Kid}' could not unwrap this data key ({refused.ErrorCode}).", refused);
        }

        using (answer)
        {
            // The data key is decoded from the answer's UTF-8 bytes, which are zeroed with the answer: no string holds it.
            return new UnwrappedKey(found.Kid, found.Id.Version, RequireFound(answer, found.Kid).TakeSecretValue());
        }
    }

    public async Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        if (KeyVaultKeyId.Parse(VaultUri, keyId) is not { } id)
        {
            return false;
        }

        var key = await FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            // Already deleted; a delete interrupted before its purge is finished here.
            if (_options.PurgeOnDelete && await FindDeletedAsync(id, cancellationToken).ConfigureAwait(false) is { } deleted)
            {
                RequireTenantKey(keyId, deleted.Owner);
                if (KeyVaultKey.IsPurgeable(deleted.RecoveryLevel))
                {
                    await PurgeAsync(id.Name, cancellationToken).ConfigureAwait(false);
                }
            }

            return false;
        }

        RequireTenantKey(keyId, key.Owner);
        await DestroyAsync(id.Name, _options.PurgeOnDelete, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Only tenant keys are deleted or purged; a platform, key-exchange or foreign key is left alone.</summary>
    private static void RequireTenantKey(string keyId, VaultKeyOwner? owner)
    {
        if (owner?.Purpose != KeyPurpose.Tenant)
        {
            throw new InvalidOperationException(owner is { } known
                ? $"Key '{keyId}' is {known}; only tenant keys can be deleted."
                : $"Key '{keyId}' is not a key of this platform; it is left alone.");
        }
    }

    public async Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        if (KeyVaultKeyId.Parse(VaultUri, keyId) is not { } id)
        {
            return VaultKeyState.Destroyed;
        }

        if (await FindAsync(id, cancellationToken).ConfigureAwait(false) is not null)
        {
            return VaultKeyState.Held;
        }

        return await FindDeletedAsync(id, cancellationToken).ConfigureAwait(false) is { } deleted
            ? new VaultKeyState(VaultKeyPhase.DeletedRecoverable, deleted.ScheduledPurgeAt)
            : VaultKeyState.Destroyed;
    }

    public async Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var id = KeyVaultKeyId.Parse(VaultUri, keyId) ?? throw new VaultKeyNotFoundException(keyId);
        return (await FindAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new VaultKeyNotFoundException(keyId)).Thumbprint;
    }

    public async Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return KeyVaultKeyId.Parse(VaultUri, keyId) is { } id && await FindAsync(id, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// GET /keys (Key Vault lists each name once, with its latest version's tags, 25 to a page, following <c>nextLink</c>);
    /// for every name tagged as a tenant key, GET /keys/{name}/versions, so each listed id is a full key identifier with
    /// its version, as the ring records it. Soft-deleted keys are not listed (they are in /deletedkeys).
    /// </summary>
    public async IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var name in ListAsync("keys", "list keys", cancellationToken).ConfigureAwait(false))
        {
            if (name.Owner?.Purpose != KeyPurpose.Tenant || BaseKeyName(name.Kid) is not { } keyName)
            {
                continue;
            }

            await foreach (var version in ListAsync($"keys/{keyName}/versions", "list key versions", cancellationToken).ConfigureAwait(false))
            {
                if (version.Owner is { Purpose: KeyPurpose.Tenant } owner && KeyVaultKeyId.Parse(VaultUri, version.Kid) is { } id)
                {
                    yield return new VaultTenantKey(id.ToKid(VaultUri), owner, version.CreatedAt);
                }
            }
        }
    }

    public async Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        var configured = _regions.Require(region);
        var key = await GetOrCreateRegionKeyAsync(VaultKeyOwner.KeyExchange(configured), cancellationToken).ConfigureAwait(false);
        return new KeyExchangeKeyInfo(key.Kid, configured, PemEncoding.WriteString("PUBLIC KEY", key.SubjectPublicKeyInfo));
    }

    public async Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        var configured = _regions.Require(region);
        return (await GetOrCreateRegionKeyAsync(VaultKeyOwner.Platform(configured), cancellationToken).ConfigureAwait(false)).ToInfo();
    }

    private async Task<KeyVaultKey> ImportPrivateKeyAsync(string keyName, VaultKeyOwner owner, string label, RSA privateKey,
        CancellationToken cancellationToken)
    {
        var thumbprint = KeyThumbprint.Of(privateKey);
        var parameters = privateKey.ExportParameters(includePrivateParameters: true);
        try
        {
            using var body = KeyVaultRequests.ImportRsa(parameters, _options.KeyType, DataKeyOps, KeyVaultKey.Tags(owner, label, thumbprint));
            using var answer = await _client.SendAsync(RequestMethod.Put, $"keys/{keyName}", body.Json, "import key", cancellationToken)
                .ConfigureAwait(false);
            var key = KeyVaultKey.FromBundle(VaultUri, RequireFound(answer, keyName).Root);
            return key.Thumbprint == thumbprint
                ? Remember(key)
                : throw new InvalidOperationException($"Key Vault stored key '{key.Kid}' with another public key than the one imported.");
        }
        finally
        {
            PrivateKeyParameters.Clear(parameters);
        }
    }

    /// <summary>
    /// The K2 checks that need no private key, then the .byok itself as Key Vault's BYOK blob (<c>key_hsm</c>): Key Vault
    /// unwraps it inside its HSM with the region's key-exchange key. A file the vault cannot open (400) is a K2 refusal;
    /// a key of the wrong size is destroyed again and refused.
    /// </summary>
    private async Task<KeyFileResult<KeyVaultKey>> ImportByokFileAsync(byte[] byokFile, string region, string keyName,
        IReadOnlyList<string> keyOps, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expires, string operation,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(byokFile);
        var kek = _regions.IsConfigured(region)
            ? await FindRegionKeyAsync(VaultKeyOwner.KeyExchange(region), cancellationToken).ConfigureAwait(false)
            : null;
        if (kek is null)
        {
            return KeyFileReader.NoKeyExchangeKey(region);
        }

        var envelope = KeyFileReader.ReadByokEnvelope(byokFile, kek.Kid);
        if (envelope.IsRefused)
        {
            return envelope.Refusal!;
        }

        KeyVaultKey key;
        try
        {
            using var body = KeyVaultRequests.ImportByok(byokFile, keyOps, tags, expires);
            using var answer = await _client.SendAsync(RequestMethod.Put, $"keys/{keyName}", body.Json, operation, cancellationToken)
                .ConfigureAwait(false);
            key = KeyVaultKey.FromBundle(VaultUri, RequireFound(answer, keyName).Root);
        }
        catch (AzureKeyVaultRequestException refused) when (refused.Status == 400)
        {
            return KeyFileRefusal.K2(
                "The vault could not open the .byok file with this region's key-exchange key (it is damaged, or not a " +
                "CKM_RSA_AES_KEY_WRAP export of an RSA private key).");
        }

        if (KeyFileReader.RequireKeySize(key.KeySizeBits) is { } sizeRefusal)
        {
            await DestroyAsync(keyName, purge: true, cancellationToken).ConfigureAwait(false);
            return sizeRefusal;
        }

        return key;
    }

    /// <summary>The key the reference names, if it is the caller's and wraps data keys; checked before the vault uses it.</summary>
    private async Task<KeyVaultKey> RequireDataKeyWrappingKeyAsync(VaultKeyReference expected, CancellationToken cancellationToken)
    {
        var found = await RequireAsync(expected.KeyId, cancellationToken).ConfigureAwait(false);
        if (found.Owner?.Purpose == KeyPurpose.KeyExchange)
        {
            throw new InvalidOperationException($"Key '{expected.KeyId}' is a key-exchange key: it only unwraps .byok files.");
        }

        if (found.Owner is null || found.Owner != expected.Owner)
        {
            throw new VaultKeyOwnershipException(expected, "it belongs to another owner.");
        }

        if (found.RecordedThumbprint is not null && found.RecordedThumbprint != found.Thumbprint)
        {
            throw new VaultKeyOwnershipException(expected, "the thumbprint recorded with it is not its public key's.");
        }

        return string.Equals(found.Thumbprint, expected.Thumbprint, StringComparison.Ordinal)
            ? found
            : throw new VaultKeyOwnershipException(expected, $"its thumbprint is {found.Thumbprint}.");
    }

    /// <summary>
    /// The key for a wrap or unwrap: what this process read of it before (owner, public key; fixed for a version), else a
    /// GET. A key deleted meanwhile is caught by the wrap or unwrap itself, which Key Vault answers with 404 (D4).
    /// </summary>
    private async Task<KeyVaultKey> RequireAsync(string keyId, CancellationToken cancellationToken)
    {
        var id = KeyVaultKeyId.Parse(VaultUri, keyId) ?? throw new VaultKeyNotFoundException(keyId);
        if (_known.TryGetValue(keyId, out var known))
        {
            return known;
        }

        return await FindAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new VaultKeyNotFoundException(keyId);
    }

    /// <summary>GET /keys/{name}/{version}: the key, or null when Key Vault does not hold it (never, or deleted).</summary>
    private async Task<KeyVaultKey?> FindAsync(KeyVaultKeyId id, CancellationToken cancellationToken)
    {
        using var answer = await _client.SendAsync(RequestMethod.Get, $"keys/{id.Name}/{id.Version}", null, "get key", cancellationToken)
            .ConfigureAwait(false);
        if (answer.IsNotFound)
        {
            _known.TryRemove(id.ToKid(VaultUri), out _);
            return null;
        }

        return Remember(KeyVaultKey.FromBundle(VaultUri, answer.Root));
    }

    /// <summary>GET /deletedkeys/{name}: the soft-deleted key if it is this version, with its scheduled purge.</summary>
    private async Task<DeletedKey?> FindDeletedAsync(KeyVaultKeyId id, CancellationToken cancellationToken)
    {
        using var answer = await _client.SendAsync(RequestMethod.Get, $"deletedkeys/{id.Name}", null, "get deleted key", cancellationToken)
            .ConfigureAwait(false);
        if (answer.IsNotFound)
        {
            return null;
        }

        var key = KeyVaultKey.FromBundle(VaultUri, answer.Root);
        return key.Id == id ? new DeletedKey(key.RecoveryLevel, ScheduledPurge(answer.Root), key.Owner) : null;
    }

    /// <summary>
    /// DELETE /keys/{name}; then, when asked and the vault allows it, wait (bounded, on the <see cref="TimeProvider"/>) until
    /// the deleted key shows in /deletedkeys and purge it. Purge protection is read from the recovery level Key Vault
    /// returns: a protected key is left to Key Vault's own purge, and logged as not destroyed.
    /// </summary>
    private async Task DestroyAsync(string name, bool purge, CancellationToken cancellationToken)
    {
        bool notFound;
        string? level;
        DateTimeOffset? scheduledPurge;
        using (var deleted = await _client.SendAsync(RequestMethod.Delete, $"keys/{name}", null, "delete key", cancellationToken)
                   .ConfigureAwait(false))
        {
            ForgetName(name);
            notFound = deleted.IsNotFound;
            if (notFound && !purge)
            {
                return;
            }

            // A 404 is most often the pipeline's retry of a DELETE whose first try went through: the key may be soft-deleted
            // and still to purge, so the recovery level is read from the deleted key once it shows.
            level = notFound ? null : RecoveryLevel(deleted.Root);
            scheduledPurge = notFound ? null : ScheduledPurge(deleted.Root);
            if (!notFound && KeyVaultKey.IsSoftDeleteOff(level))
            {
                return;
            }
        }

        if (!notFound && !IsPurgeWanted(name, purge, level, scheduledPurge))
        {
            return;
        }

        var deadline = _time.GetUtcNow().Add(_options.DeletePollTimeout);
        while (true)
        {
            using (var shown = await _client.SendAsync(RequestMethod.Get, $"deletedkeys/{name}", null, "get deleted key", cancellationToken)
                       .ConfigureAwait(false))
            {
                if (!shown.IsNotFound)
                {
                    if (notFound && !IsPurgeWanted(name, purge, RecoveryLevel(shown.Root), ScheduledPurge(shown.Root)))
                    {
                        return;
                    }

                    break;
                }
            }

            if (_time.GetUtcNow() >= deadline)
            {
                throw new InvalidOperationException(
                    $"Key {name} in {VaultUri} is deleted but did not show among the deleted keys within {_options.DeletePollTimeout}, " +
                    "so it is not purged yet; deleting it again finishes the purge.");
            }

            await Task.Delay(_options.DeletePollInterval, _time, cancellationToken).ConfigureAwait(false);
        }

        await PurgeAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether to purge a deleted key: asked for and allowed by its recovery level; otherwise logged as not destroyed.</summary>
    private bool IsPurgeWanted(string name, bool purge, string? level, DateTimeOffset? scheduledPurge)
    {
        if (purge && KeyVaultKey.IsPurgeable(level))
        {
            return true;
        }

        _logger.LogWarning(
            "Key {KeyName} in {Vault} is deleted but recoverable ({RecoveryLevel}; purge {Purge}): not destroyed until Key Vault purges it at {ScheduledPurge}.",
            name, VaultUri, level, purge ? "refused by purge protection" : "not configured", scheduledPurge);
        return false;
    }

    private static string? RecoveryLevel(JsonElement bundle) =>
        bundle.TryGetProperty("attributes", out var attributes) && attributes.TryGetProperty("recoveryLevel", out var value)
            ? value.GetString()
            : null;

    /// <summary>DELETE /deletedkeys/{name} (204); a 404 means someone purged it already.</summary>
    private async Task PurgeAsync(string name, CancellationToken cancellationToken)
    {
        using var _ = await _client.SendAsync(RequestMethod.Delete, $"deletedkeys/{name}", null, "purge deleted key", cancellationToken)
            .ConfigureAwait(false);
        _logger.LogInformation("Key {KeyName} purged from {Vault}.", name, VaultUri);
    }

    /// <summary>
    /// A region's platform or key-exchange key, named <c>platform-{region}</c> or <c>kek-{region}</c>. Created on first use
    /// under an in-process lock. Key Vault has no create-if-absent: two processes racing create two versions of the name,
    /// and every caller then takes the oldest version (lowest created time, then kid), so all agree once the race is over
    /// (both versions work meanwhile: a wrap records the version it used).
    /// </summary>
    private async Task<KeyVaultKey> GetOrCreateRegionKeyAsync(VaultKeyOwner owner, CancellationToken cancellationToken)
    {
        if (await FindRegionKeyAsync(owner, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        await _regionKeyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await FindRegionKeyAsync(owner, cancellationToken).ConfigureAwait(false) is { } raced)
            {
                return raced;
            }

            var keyExchange = owner.Purpose == KeyPurpose.KeyExchange;
            var name = RegionKeyName(owner);
            using var body = KeyVaultRequests.Create(
                keyExchange ? AzureKeyVaultOptions.RsaHsmKeyType : _options.KeyType,
                keyExchange ? LocalKeyVault.KeyExchangeKeySizeBits : LocalKeyVault.DataKeyWrappingKeySizeBits,
                keyExchange ? KeyExchangeOps : DataKeyOps,
                KeyVaultKey.Tags(owner, keyExchange ? $"key-exchange key {owner.Region}" : $"platform key {owner.Region}", null));
            using (await _client.SendAsync(RequestMethod.Post, $"keys/{name}/create", body.Json, $"create {owner}", cancellationToken)
                       .ConfigureAwait(false))
            {
            }

            return await FindRegionKeyAsync(owner, cancellationToken).ConfigureAwait(false)
                   ?? throw new InvalidOperationException($"The {owner} was created in {VaultUri} but cannot be read back.");
        }
        finally
        {
            _regionKeyGate.Release();
        }
    }

    /// <summary>GET /keys/{name}/versions, the oldest enabled version carrying this owner; then that version.</summary>
    private async Task<KeyVaultKey?> FindRegionKeyAsync(VaultKeyOwner owner, CancellationToken cancellationToken)
    {
        if (_regionKeys.TryGetValue(owner, out var cached))
        {
            return cached;
        }

        var name = RegionKeyName(owner);
        string? oldest;
        using (var versions = await _client.SendAsync(RequestMethod.Get, $"keys/{name}/versions", null, "list key versions", cancellationToken)
                   .ConfigureAwait(false))
        {
            if (versions.IsNotFound || !versions.Root.TryGetProperty("value", out var items))
            {
                return null;
            }

            oldest = items.EnumerateArray()
                .Where(item => IsEnabled(item) && KeyVaultKey.OwnerOf(KeyVaultKey.ReadTags(item)) == owner)
                .Select(item => (Kid: item.GetProperty("kid").GetString() ?? "", Created: CreatedOf(item)))
                .OrderBy(item => item.Created)
                .ThenBy(item => item.Kid, StringComparer.Ordinal)
                .Select(item => item.Kid)
                .FirstOrDefault();
        }

        if (oldest is null || KeyVaultKeyId.Parse(VaultUri, oldest) is not { } id
            || await FindAsync(id, cancellationToken).ConfigureAwait(false) is not { } key)
        {
            return null;
        }

        // Key Vault's created times are whole seconds: a racing process's version could still sort first. Once the chosen
        // version is older than the settle time, any later version sorts after it, so the choice is final and cached.
        if (_time.GetUtcNow() - key.CreatedAt > RegionKeySettleTime)
        {
            _regionKeys.TryAdd(owner, key);
        }

        return key;
    }

    /// <summary>The items of a Key Vault list (<c>{ value: [ { kid, attributes, tags } ], nextLink }</c>), page after page; a
    /// 404 (the name is gone) is an empty list.</summary>
    private async IAsyncEnumerable<ListedKey> ListAsync(string path, string operation,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = await _client.SendAsync(RequestMethod.Get, path, null, operation, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            List<ListedKey> items;
            string? nextLink;
            using (page)
            {
                if (page.IsNotFound)
                {
                    yield break;
                }

                items = page.Root.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array
                    ? value.EnumerateArray().Select(item => new ListedKey(
                            item.TryGetProperty("kid", out var kid) ? kid.GetString() ?? "" : "",
                            KeyVaultKey.OwnerOf(KeyVaultKey.ReadTags(item)),
                            CreatedOf(item) is var created && created != long.MaxValue
                                ? DateTimeOffset.FromUnixTimeSeconds(created)
                                // Key Vault always sends it; an item without it is never old enough to be reconciled away.
                                : DateTimeOffset.MaxValue))
                        .ToList()
                    : [];
                nextLink = page.Root.TryGetProperty("nextLink", out var next) && next.ValueKind == JsonValueKind.String
                    ? next.GetString()
                    : null;
            }

            foreach (var item in items)
            {
                yield return item;
            }

            if (string.IsNullOrEmpty(nextLink))
            {
                yield break;
            }

            page = await _client.GetNextPageAsync(nextLink, operation, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The name in a key identifier without version (<c>{vault}/keys/{name}</c>, what GET /keys lists).</summary>
    private string? BaseKeyName(string kid) =>
        Uri.TryCreate(kid, UriKind.Absolute, out var uri)
        && string.Equals(uri.GetLeftPart(UriPartial.Authority), VaultUri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
        && uri.AbsolutePath.Trim('/').Split('/') is ["keys", var name, ..] && KeyVaultKeyId.IsValidName(name)
            ? name
            : null;

    private static bool IsEnabled(JsonElement item) =>
        !item.TryGetProperty("attributes", out var attributes)
        || !attributes.TryGetProperty("enabled", out var enabled)
        || enabled.ValueKind != JsonValueKind.False;

    private static long CreatedOf(JsonElement item) =>
        item.TryGetProperty("attributes", out var attributes) && attributes.TryGetProperty("created", out var created)
            ? created.GetInt64()
            : long.MaxValue;

    private static DateTimeOffset? ScheduledPurge(JsonElement deletedBundle) =>
        deletedBundle.TryGetProperty("scheduledPurgeDate", out var date) && date.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeSeconds(date.GetInt64())
            : null;

    private static string RegionKeyName(VaultKeyOwner owner)
    {
        var name = owner.Purpose == KeyPurpose.KeyExchange ? $"kek-{owner.Region}" : $"platform-{owner.Region}";
        return KeyVaultKeyId.IsValidName(name)
            ? name
            : throw new ArgumentException($"Region '{owner.Region}' does not make a Key Vault key name ([0-9a-zA-Z-], at most 127).");
    }

    private static string NewName() => $"key-{Guid.CreateVersion7():N}";

    private KeyVaultKey Remember(KeyVaultKey key) => _known[key.Kid] = key;

    private void ForgetName(string name)
    {
        foreach (var kid in _known.Keys.Where(kid => KeyVaultKeyId.Parse(VaultUri, kid)?.Name == name))
        {
            _known.TryRemove(kid, out _);
        }
    }

    /// <summary>A 404 where the key was there a moment ago: it was deleted meanwhile (D4).</summary>
    private KeyVaultAnswer RequireFound(KeyVaultAnswer answer, string keyId)
    {
        if (!answer.IsNotFound)
        {
            return answer;
        }

        if (KeyVaultKeyId.Parse(VaultUri, keyId) is { } id)
        {
            ForgetName(id.Name);
        }

        throw new VaultKeyNotFoundException(keyId);
    }

    /// <summary>The base64url <c>value</c> of a key operation result.</summary>
    private static byte[] Value(KeyVaultAnswer answer) =>
        Base64Url.DecodeFromChars(answer.Root.GetProperty("value").GetString());

    private sealed record DeletedKey(string? RecoveryLevel, DateTimeOffset? ScheduledPurgeAt, VaultKeyOwner? Owner);

    private sealed record ListedKey(string Kid, VaultKeyOwner? Owner, DateTimeOffset CreatedAt);
}
