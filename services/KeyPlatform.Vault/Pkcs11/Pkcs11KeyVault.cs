using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Local;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// The vault on a PKCS#11 token (an HSM; SoftHSM2 in development and tests). Every key is one private-key object on the
/// token (<c>CKA_TOKEN</c>, <c>CKA_PRIVATE</c>, <c>CKA_SENSITIVE</c>, not extractable, not modifiable, decrypt only),
/// labelled with the key id and carrying its owner in <c>CKA_ID</c> (<see cref="TokenKey"/>). Unwrapping is
/// <c>C_Decrypt</c> on the token; wrapping uses the object's public key in process. Deleting a key is
/// <c>C_DestroyObject</c>: the key is gone from the token, so no database backup brings it back (V1, V2).
/// </summary>
/// <remarks>
/// A key object is searched on the token (<c>C_FindObjects</c> by label) once per connection; its handle and what it is
/// are then kept (<see cref="KeyObjects"/>). Every use still proves the object exists: an unwrap's <c>C_Decrypt</c>, and a
/// wrap's <c>C_GetAttributeValue</c> of the label, fail once the object is destroyed by any process, and the call then
/// searches again and reports the key not found (D4, decision 0018). Tenant keys come from outside (a .pfx, a .byok, or K3's generated key,
/// which must leave once as a .pfx): they are imported with <c>C_CreateObject</c>. Platform and key-exchange keys are
/// generated on the token and never leave it. See docs/decisions/0012-pkcs11-vault.md.
/// </remarks>
public sealed class Pkcs11KeyVault : IKeyVault, IDisposable
{
    private static readonly byte[] PublicExponent = [0x01, 0x00, 0x01];

    private readonly Pkcs11Token _token;
    private readonly TimeProvider _time;
    private readonly VaultRegion _regions;
    private readonly string _wrappingAlgorithm;
    private readonly RSAEncryptionPadding _wrappingPadding;
    private readonly IMechanism _oaepSha1;
    private readonly IMechanism _oaepSha256;
    private readonly ConcurrentDictionary<VaultKeyOwner, string> _regionKeyIds = new();
    private readonly Lock _regionKeyGate = new();

    public Pkcs11KeyVault(Pkcs11VaultOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _wrappingPadding = WrappingAlgorithm.Padding(options.WrappingAlgorithm);
        _wrappingAlgorithm = options.WrappingAlgorithm;
        _token = new Pkcs11Token(options);
        _oaepSha1 = Oaep(CKM.CKM_SHA_1, CKG.CKG_MGF1_SHA1);
        _oaepSha256 = Oaep(CKM.CKM_SHA256, CKG.CKG_MGF1_SHA256);
        _time = timeProvider ?? TimeProvider.System;
        _regions = new VaultRegion(options.Regions);
    }

    /// <summary>What <see cref="WrapAsync"/> wraps with: <c>Vault:Pkcs11:WrappingAlgorithm</c>.</summary>
    public string PreferredWrappingAlgorithm => _wrappingAlgorithm;

    /// <summary>Loads the library, finds the token and logs in: a wrong library, token or PIN fails here, with its reason.</summary>
    public void Connect() => _token.Connect();

    internal Pkcs11Token Token => _token;

    public Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(privateKey);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        VaultArguments.RequireTenantKeySize(privateKey);

        return OnToken(() => Import(tenantOwner, name.Value, privateKey).ToInfo(), cancellationToken);
    }

    public async Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(
        VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(provedThumbprint);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        return await OnToken<KeyFileResult<VaultKeyInfo>>(() =>
        {
            var read = ReadByok(byokFile, tenantOwner.Region);
            if (read.IsRefused)
            {
                return read.Refusal!;
            }

            using var key = read.Value;
            return string.Equals(key.Thumbprint, provedThumbprint, StringComparison.Ordinal)
                ? Import(tenantOwner, name.Value, key.PrivateKey).ToInfo()
                : KeyFileRefusal.K2("The .byok file does not carry the key whose possession was proved.");
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(
        byte[] byokFile, string region, PossessionChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        return OnToken(() =>
        {
            var read = ReadByok(byokFile, region);
            if (read.IsRefused)
            {
                return (KeyFileResult<PossessionSignature>)read.Refusal!;
            }

            using var key = read.Value;
            return PossessionProof.Sign(key.PrivateKey, challenge);
        }, cancellationToken);
    }

    /// <summary>
    /// K3: the key is generated in process (it must leave once as the admin's .pfx), exported, then imported as a
    /// non-extractable token object; the process's copy is disposed. See docs/decisions/0012.
    /// </summary>
    public Task<GeneratedVaultKey> GenerateAsync(
        VaultKeyName name, VaultKeyOwner owner, string pfxPassword, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        VaultArguments.RequirePfxPassword(pfxPassword);

        return OnToken(() =>
        {
            using var rsa = RSA.Create(LocalKeyVault.DataKeyWrappingKeySizeBits);
            // The .pfx is made before the key is stored, so a failure leaves nothing behind on the token.
            var pfx = SelfSignedPfx.Export(rsa, name, pfxPassword, _time.GetUtcNow());
            return new GeneratedVaultKey(Import(tenantOwner, name.Value, rsa).ToInfo(), pfx);
        }, cancellationToken);
    }

    public Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToWrap(plaintextKey);

        return OnCaller(() =>
        {
            // The public key is in memory; the token proves the private key object still exists before it is used.
            var found = _token.Run((session, objects) => DataKeyWrappingKey(session, objects, key, proveExists: true));
            return new WrappedKey(found.Key.KeyId, found.Key.Version, found.Encrypt(plaintextKey.Span, _wrappingPadding), _wrappingAlgorithm);
        }, cancellationToken);
    }

    public Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToUnwrap(wrappedKey);

        var padding = WrappingAlgorithm.Padding(algorithm);
        var ciphertext = wrappedKey.ToArray();
        return OnCaller(() => _token.Run((session, objects) =>
        {
            var found = DataKeyWrappingKey(session, objects, key, proveExists: false);
            byte[] plaintext;
            try
            {
                plaintext = Decrypt(session, found.Handle, ciphertext, padding);
            }
            catch (Exception exception) when (exception is Pkcs11Exception { RV: var rv } && KeyObjects.IsObjectGone(rv)
                || exception is CryptographicException && !objects.StillThere(session, found))
            {
                // The kept handle no longer names this key (destroyed, maybe by another process): search once more, which
                // reports the key not found when it is gone.
                objects.Forget(key.KeyId);
                found = DataKeyWrappingKey(session, objects, key, proveExists: false);
                plaintext = Decrypt(session, found.Handle, ciphertext, padding);
            }

            return new UnwrappedKey(found.Key.KeyId, found.Key.Version, plaintext);
        }), cancellationToken);
    }

    public Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return OnToken(() => _token.Run((session, known) =>
        {
            known.Forget(keyId);
            var objects = session.FindAllObjects([Attribute(CKA.CKA_TOKEN, true), Attribute(CKA.CKA_LABEL, keyId)]);
            if (objects.Count == 0)
            {
                return false;
            }

            // Only the objects that describe themselves as a tenant key (its private and public part) go: never a region
            // key, nor an object of another kind that shares the label (the envelope's wrapping key, decision 0019).
            var tenantKeyParts = new List<IObjectHandle>();
            foreach (var handle in objects)
            {
                var key = IsRsaKey(session, handle) ? Describe(session, keyId, handle) : null;
                if (key is { Owner.Purpose: not KeyPurpose.Tenant })
                {
                    throw new InvalidOperationException(
                        $"Key '{keyId}' is a {key.Owner.Purpose} key of region '{key.Owner.Region}'; only tenant keys can be deleted.");
                }

                if (key is not null)
                {
                    tenantKeyParts.Add(handle);
                }
            }

            if (tenantKeyParts.Count == 0)
            {
                throw new InvalidOperationException($"Object '{keyId}' on the token is not a key of this platform; only tenant keys can be deleted.");
            }

            foreach (var handle in tenantKeyParts)
            {
                session.DestroyObject(handle);
            }

            return true;
        }), cancellationToken);
    }

    public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return OnCaller(() => _token.Run((session, objects) =>
            (Validated(session, objects, keyId) ?? throw new VaultKeyNotFoundException(keyId)).Key.Thumbprint), cancellationToken);
    }

    public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return OnCaller(() => _token.Run((session, objects) => Validated(session, objects, keyId) is not null), cancellationToken);
    }

    /// <summary>
    /// The private-key objects whose <c>CKA_ID</c> records a tenant owner, read in one session on the thread pool; the
    /// list is small (tenant keys of one deployment), so it is read whole before it is yielded.
    /// </summary>
    public async IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var keys = await OnToken(() => _token.Run(session =>
        {
            var found = new List<VaultTenantKey>();
            foreach (var handle in session.FindAllObjects([Attribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), Attribute(CKA.CKA_TOKEN, true)]))
            {
                var values = session.GetAttributeValue(handle, [CKA.CKA_LABEL, CKA.CKA_ID]);
                if (values[0].GetValueAsString() is { Length: > 0 } label
                    && TokenKey.Decode(values[1].GetValueAsByteArray()) is { Owner.Purpose: KeyPurpose.Tenant } record)
                {
                    found.Add(new VaultTenantKey(label, record.Owner, record.CreatedAt));
                }
            }

            return found.OrderBy(key => key.CreatedAt).ThenBy(key => key.KeyId, StringComparer.Ordinal).ToList();
        }), cancellationToken).ConfigureAwait(false);

        foreach (var key in keys)
        {
            yield return key;
        }
    }

    public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        var configured = _regions.Require(region);
        return OnToken(() =>
        {
            var key = GetOrCreateRegionKey(VaultKeyOwner.KeyExchange(configured), LocalKeyVault.KeyExchangeKeySizeBits);
            return new KeyExchangeKeyInfo(key.KeyId, configured, PemEncoding.WriteString("PUBLIC KEY", key.PublicKey));
        }, cancellationToken);
    }

    public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        var configured = _regions.Require(region);
        return OnToken(() => GetOrCreateRegionKey(VaultKeyOwner.Platform(configured), LocalKeyVault.DataKeyWrappingKeySizeBits).ToInfo(),
            cancellationToken);
    }

    /// <summary>Calls that block for long (key creation, imports, searches over the token) run on the thread pool.</summary>
    private static Task<T> OnToken<T>(Func<T> operation, CancellationToken cancellationToken) =>
        Task.Run(operation, cancellationToken);

    /// <summary>
    /// Wrap, unwrap and the reads by a kept handle are one or two short token calls (a <c>C_Decrypt</c> is well under a
    /// millisecond): they run on the caller's thread, as a synchronous call would, instead of paying two thread-pool hops
    /// that cost more than the call itself on a busy machine (decision 0018). Failures come back in the task.
    /// </summary>
    private static Task<T> OnCaller<T>(Func<T> operation, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        try
        {
            return Task.FromResult(operation());
        }
        catch (Exception exception)
        {
            return Task.FromException<T>(exception);
        }
    }

    private KeyFileResult<LoadedKey> ReadByok(byte[] byokFile, string region)
    {
        ArgumentNullException.ThrowIfNull(byokFile);
        var kek = _regions.IsConfigured(region) ? _token.Run((session, objects) => KeyExchangeKeyFor(session, objects, byokFile, region)) : null;
        if (kek is null)
        {
            return KeyFileReader.NoKeyExchangeKey(region);
        }

        // The transport key is decrypted on the token; the tenant key it wraps is unwrapped in process (SoftHSM 2.6 has
        // no CKM_RSA_AES_KEY_WRAP), imported at once and disposed (decision 0012 says how long it lives in memory).
        using var keyExchangeKey = new KeyExchangeKey(kek.KeyId, new TokenRsa(kek, (data, padding) => _token.Run((session, objects) =>
            Decrypt(session, (Validated(session, objects, kek.KeyId) ?? throw new VaultKeyNotFoundException(kek.KeyId)).Handle, data, padding))));
        return KeyFileReader.ReadByok(byokFile, keyExchangeKey);
    }

    /// <summary>
    /// The key-exchange key a .byok file was made for, when its <c>kid</c> names one of this region's on the token, else the
    /// region's key (and the file's reader refuses a foreign kid with the reason). Two processes that raced to create the
    /// region's first key-exchange key each show the one they created; either opens the files made for it.
    /// </summary>
    private TokenKey? KeyExchangeKeyFor(ISession session, KeyObjects objects, byte[] byokFile, string region)
    {
        var owner = VaultKeyOwner.KeyExchange(region);
        return ByokFile.Parse(byokFile) is { IsRefused: false } parsed && Validated(session, objects, parsed.Value.Kid) is { } named
            && named.Key.Owner == owner
            ? named.Key
            : FindRegionKey(session, objects, owner);
    }

    /// <summary>A second key of a region, as a process that raced this one to create the region's first key leaves it
    /// (tests play that process with it).</summary>
    internal TokenKey GenerateRegionKey(VaultKeyOwner owner, int bits) => _token.Run((session, objects) => Generate(session, objects, owner, bits));

    /// <summary>
    /// Get, else create, for one region's platform or key-exchange key: created on the token under an in-process lock and
    /// read back; if two processes raced, every caller afterwards gets the key with the lowest id.
    /// </summary>
    private TokenKey GetOrCreateRegionKey(VaultKeyOwner owner, int bits)
    {
        if (_token.Run((session, objects) => FindRegionKey(session, objects, owner)) is { } existing)
        {
            return existing;
        }

        lock (_regionKeyGate)
        {
            return _token.Run((session, objects) => FindRegionKey(session, objects, owner) ?? WinnerAfterGenerating(session, objects, owner, bits));
        }
    }

    private TokenKey Generate(ISession session, KeyObjects objects, VaultKeyOwner owner, int bits)
    {
        var keyId = NewKeyId(owner);
        var name = owner.Purpose == KeyPurpose.KeyExchange ? $"key-exchange key {owner.Region}" : $"platform key {owner.Region}";
        var record = TokenKey.Encode(owner, NewVersion(), name, _time.GetUtcNow());
        var publicTemplate = new List<IObjectAttribute>
        {
            Attribute(CKA.CKA_TOKEN, false), Attribute(CKA.CKA_ENCRYPT, true), Attribute(CKA.CKA_MODULUS_BITS, (ulong)bits),
            Attribute(CKA.CKA_PUBLIC_EXPONENT, PublicExponent),
        };
        var privateTemplate = PrivateKeyTemplate(keyId, record);
        var mechanism = _token.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN);
        session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out var publicKey, out _);
        session.DestroyObject(publicKey);
        return Lookup(session, objects, keyId)?.Key ?? throw new InvalidOperationException($"The {owner} was not stored on the token.");
    }

    /// <summary>Creates a region key, then answers the one every process settles on (a racing process may have made one too).</summary>
    private TokenKey WinnerAfterGenerating(ISession session, KeyObjects objects, VaultKeyOwner owner, int bits)
    {
        var created = Generate(session, objects, owner, bits);
        return FindRegionKey(session, objects, owner) ?? created;
    }

    /// <summary>C_CreateObject of an RSA private key, sensitive and not extractable; the key's parameters are zeroed after.</summary>
    private TokenKey Import(VaultKeyOwner owner, string name, RSA privateKey)
    {
        var keyId = NewKeyId(owner);
        var record = TokenKey.Encode(owner, NewVersion(), name, _time.GetUtcNow());
        var parameters = privateKey.ExportParameters(includePrivateParameters: true);
        try
        {
            var template = PrivateKeyTemplate(keyId, record);
            template.AddRange(
            [
                Attribute(CKA.CKA_MODULUS, parameters.Modulus!), Attribute(CKA.CKA_PUBLIC_EXPONENT, parameters.Exponent!),
                Attribute(CKA.CKA_PRIVATE_EXPONENT, parameters.D!), Attribute(CKA.CKA_PRIME_1, parameters.P!),
                Attribute(CKA.CKA_PRIME_2, parameters.Q!), Attribute(CKA.CKA_EXPONENT_1, parameters.DP!),
                Attribute(CKA.CKA_EXPONENT_2, parameters.DQ!), Attribute(CKA.CKA_COEFFICIENT, parameters.InverseQ!),
            ]);
            try
            {
                return _token.Run((session, objects) =>
                {
                    var handle = CreateKeyObject(session, template);
                    var key = Describe(session, keyId, handle) ?? throw new InvalidOperationException($"Key '{keyId}' was not stored on the token.");
                    return objects.Remember(new KeyObject(key, handle)).Key;
                });
            }
            finally
            {
                foreach (var attribute in template)
                {
                    attribute.Dispose();
                }
            }
        }
        finally
        {
            PrivateKeyParameters.Clear(parameters);
        }
    }

    /// <summary>
    /// <c>C_CreateObject</c>. A token that cannot store the object (full: <c>CKR_DEVICE_MEMORY</c>; SoftHSM on a full or
    /// read-only disk: <c>CKR_FUNCTION_FAILED</c> / <c>CKR_GENERAL_ERROR</c>) has stored nothing (PKCS#11 creates an object
    /// whole or not at all): the error names the token and says so. A lost connection is left to <see cref="Pkcs11Token.Run{T}(Func{ISession, KeyObjects, T})"/>.
    /// </summary>
    private IObjectHandle CreateKeyObject(ISession session, List<IObjectAttribute> template)
    {
        try
        {
            return session.CreateObject(template);
        }
        catch (Pkcs11Exception exception) when (!Pkcs11Token.IsConnectionLost(exception.RV))
        {
            throw new InvalidOperationException(
                $"The {_token.Name} did not store the key ({exception.RV}); nothing was stored. A token that is full, or whose " +
                "storage is full or read-only, answers so.", exception);
        }
    }

    /// <summary>What every private key of this vault is: on the token, private, sensitive, never extractable, fixed, decrypt only.</summary>
    private List<IObjectAttribute> PrivateKeyTemplate(string keyId, byte[] record) =>
    [
        Attribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
        Attribute(CKA.CKA_TOKEN, true), Attribute(CKA.CKA_PRIVATE, true),
        Attribute(CKA.CKA_SENSITIVE, true), Attribute(CKA.CKA_EXTRACTABLE, false), Attribute(CKA.CKA_MODIFIABLE, false),
        Attribute(CKA.CKA_DECRYPT, true), Attribute(CKA.CKA_SIGN, false), Attribute(CKA.CKA_UNWRAP, false),
        Attribute(CKA.CKA_LABEL, keyId), Attribute(CKA.CKA_ID, record),
    ];

    private IMechanism Oaep(CKM hash, CKG mgf) => _token.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_OAEP,
        _token.Factories.MechanismParamsFactory.CreateCkRsaPkcsOaepParams(
            ConvertUtils.UInt64FromCKM(hash), ConvertUtils.UInt64FromCKG(mgf), ConvertUtils.UInt64FromUInt32(CKZ.CKZ_DATA_SPECIFIED), null));

    /// <summary>
    /// <c>C_Decrypt</c> with RSA-OAEP (the two mechanisms are made once: the token only reads them). A destroyed object's
    /// handle fails with its <see cref="Pkcs11Exception"/> (<see cref="KeyObjects.IsObjectGone"/>); other refusals are crypto failures.
    /// </summary>
    private byte[] Decrypt(ISession session, IObjectHandle handle, byte[] ciphertext, RSAEncryptionPadding padding)
    {
        var (mechanism, hash) = padding == RSAEncryptionPadding.OaepSHA256
            ? (_oaepSha256, "SHA-256")
            : padding == RSAEncryptionPadding.OaepSHA1
                ? (_oaepSha1, "SHA-1")
                : throw new CryptographicException($"The vault unwraps with RSA-OAEP only, not {padding}.");
        try
        {
            return session.Decrypt(mechanism, handle, ciphertext);
        }
        catch (Pkcs11Exception exception) when (!Pkcs11Token.IsConnectionLost(exception.RV) && !KeyObjects.IsObjectGone(exception.RV))
        {
            // Wrong key, altered ciphertext, or an OAEP hash the token does not do (SoftHSM: SHA-256 gives CKR_ARGUMENTS_BAD).
            throw new CryptographicException($"The token did not unwrap the data key with RSA-OAEP ({hash}): {exception.RV}.", exception);
        }
    }

    /// <summary>
    /// The key a wrap or unwrap may use: it is on the token, it wraps data keys, and it is the key the caller expects (owner
    /// and thumbprint). Checked before the private key is used, so a refused call does nothing. With
    /// <paramref name="proveExists"/>, a kept handle is first checked on the token (a wrap does not touch the private key
    /// otherwise); an unwrap's <c>C_Decrypt</c> is that check itself.
    /// </summary>
    private KeyObject DataKeyWrappingKey(ISession session, KeyObjects objects, VaultKeyReference expected, bool proveExists)
    {
        var found = (proveExists ? Validated(session, objects, expected.KeyId) : objects.Cached(expected.KeyId) ?? Lookup(session, objects, expected.KeyId))
            ?? throw new VaultKeyNotFoundException(expected.KeyId);
        if (found.Key.Owner.Purpose == KeyPurpose.KeyExchange)
        {
            throw new InvalidOperationException($"Key '{expected.KeyId}' is a key-exchange key: it only unwraps .byok files.");
        }

        if (found.Key.Owner != expected.Owner)
        {
            throw new VaultKeyOwnershipException(expected, "it belongs to another owner.");
        }

        return string.Equals(found.Key.Thumbprint, expected.Thumbprint, StringComparison.Ordinal)
            ? found
            : throw new VaultKeyOwnershipException(expected, $"its thumbprint is {found.Key.Thumbprint}.");
    }

    /// <summary>The key object, by its kept handle once the token confirms it (<see cref="KeyObjects.StillThere"/>), else by a search.</summary>
    private KeyObject? Validated(ISession session, KeyObjects objects, string keyId) =>
        objects.Cached(keyId) is { } kept && objects.StillThere(session, kept) ? kept : Lookup(session, objects, keyId);

    /// <summary>Searches the token for the key's object (<c>C_FindObjects</c> by label) and keeps what it finds, or forgets the key.</summary>
    private KeyObject? Lookup(ISession session, KeyObjects objects, string keyId)
    {
        if (FindHandle(session, keyId) is not { } handle)
        {
            // Destroyed, maybe by another process: forget what this one knew of it. A session that lost its login sees no
            // private objects at all: that is the connection failing, not the key gone (the token reconnects).
            objects.Forget(keyId);
            RequireLogin(session);
            return null;
        }

        return Describe(session, keyId, handle) is { } key ? objects.Remember(new KeyObject(key, handle)) : null;
    }

    private static void RequireLogin(ISession session)
    {
        if (session.GetSessionInfo().State is not (CKS.CKS_RW_USER_FUNCTIONS or CKS.CKS_RO_USER_FUNCTIONS))
        {
            throw new Pkcs11Exception("C_FindObjects", CKR.CKR_USER_NOT_LOGGED_IN);
        }
    }

    private IObjectHandle? FindHandle(ISession session, string keyId)
    {
        List<IObjectAttribute> template =
        [
            Attribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), Attribute(CKA.CKA_TOKEN, true), Attribute(CKA.CKA_LABEL, keyId),
        ];
        try
        {
            var found = session.FindAllObjects(template);
            return found.Count == 0 ? null : found[0];
        }
        finally
        {
            // Free the attributes' unmanaged buffers now, not at the next finaliser pass.
            template.ForEach(attribute => attribute.Dispose());
        }
    }

    /// <summary>The key behind a private-key object, read from the token (owner record and public key), or null when not ours.</summary>
    /// <summary>Whether the object is the private or public part of an RSA key (what <see cref="Describe"/> can read).</summary>
    private static bool IsRsaKey(ISession session, IObjectHandle handle)
    {
        var objectClass = session.GetAttributeValue(handle, [CKA.CKA_CLASS])[0].GetValueAsUlong();
        return (objectClass == (ulong)CKO.CKO_PRIVATE_KEY || objectClass == (ulong)CKO.CKO_PUBLIC_KEY)
            && session.GetAttributeValue(handle, [CKA.CKA_KEY_TYPE])[0].GetValueAsUlong() == (ulong)CKK.CKK_RSA;
    }

    private static TokenKey? Describe(ISession session, string keyId, IObjectHandle handle)
    {
        var values = session.GetAttributeValue(handle, [CKA.CKA_ID, CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
        return TokenKey.Decode(values[0].GetValueAsByteArray()) is { } record
            ? TokenKey.From(keyId, record, values[1].GetValueAsByteArray(), values[2].GetValueAsByteArray())
            : null;
    }

    /// <summary>The region's key, by the id this process saw before (region keys are never deleted), else by a scan.</summary>
    private TokenKey? FindRegionKey(ISession session, KeyObjects objects, VaultKeyOwner owner)
    {
        if (_regionKeyIds.TryGetValue(owner, out var keyId) && Validated(session, objects, keyId) is { } seen)
        {
            return seen.Key;
        }

        var candidates = new List<TokenKey>();
        foreach (var handle in session.FindAllObjects([Attribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), Attribute(CKA.CKA_TOKEN, true)]))
        {
            var label = session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0].GetValueAsString();
            if (label is not null && (label.StartsWith("platform-", StringComparison.Ordinal) || label.StartsWith("kek-", StringComparison.Ordinal))
                && Describe(session, label, handle) is { } key && key.Owner == owner)
            {
                candidates.Add(objects.Remember(new KeyObject(key, handle)).Key);
            }
        }

        var winner = candidates.MinBy(key => key.KeyId, StringComparer.Ordinal);
        if (winner is not null)
        {
            _regionKeyIds[owner] = winner.KeyId;
        }

        return winner;
    }

    private IObjectAttribute Attribute(CKA type, bool value) => _token.Factories.ObjectAttributeFactory.Create(type, value);

    private IObjectAttribute Attribute(CKA type, ulong value) => _token.Factories.ObjectAttributeFactory.Create(type, value);

    private IObjectAttribute Attribute(CKA type, string value) => _token.Factories.ObjectAttributeFactory.Create(type, value);

    private IObjectAttribute Attribute(CKA type, byte[] value) => _token.Factories.ObjectAttributeFactory.Create(type, value);

    private IObjectAttribute Attribute(CKA type, CKO value) => _token.Factories.ObjectAttributeFactory.Create(type, value);

    private IObjectAttribute Attribute(CKA type, CKK value) => _token.Factories.ObjectAttributeFactory.Create(type, value);

    private static string NewVersion() => Guid.NewGuid().ToString("N");

    private static string NewKeyId(VaultKeyOwner owner)
    {
        var unique = Guid.CreateVersion7().ToString("N");
        return owner.Purpose switch
        {
            KeyPurpose.Tenant => $"key-{unique}",
            KeyPurpose.Platform => $"platform-{owner.Region}-{unique}",
            KeyPurpose.KeyExchange => $"kek-{owner.Region}-{unique}",
            _ => throw new ArgumentOutOfRangeException(nameof(owner)),
        };
    }

    public void Dispose()
    {
        _token.Dispose();
        _oaepSha1.Dispose();
        _oaepSha256.Dispose();
    }
}
