using System.Security.Cryptography;
using KeyPlatform.Vault.Local;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// The local store's master key wrapped by an AES-256 key on a PKCS#11 token (<c>Vault:MasterKeyWrapping=Pkcs11</c>, the
/// token of <c>Vault:Pkcs11:*</c>). The wrapping key is generated on the token (<c>CKM_AES_KEY_GEN</c>: sensitive, never
/// extractable, encrypt and decrypt only) and wraps with <c>CKM_AES_GCM</c> through <c>C_Encrypt</c> / <c>C_Decrypt</c>:
/// SoftHSM 2.6 offers <c>CKM_AES_KEY_WRAP_PAD</c> only to <c>C_WrapKey</c>/<c>C_UnwrapKey</c>, which would need an
/// extractable copy of the master key on the token, and GCM authenticates the file's header as well.
/// See docs/decisions/0019-master-key-envelope.md.
/// </summary>
/// <remarks>Errors name the settings to fix, the token and the key label; never the PIN or any key byte.</remarks>
public sealed class Pkcs11MasterKeyEnvelope : IDisposable
{
    /// <summary>The wrapping key's label unless told otherwise; not a form any vault key id takes.</summary>
    public const string DefaultKeyLabel = "keyplatform-master-key-wrapping";

    private const int TagBits = WrappedMasterKey.TagSize * 8;
    private const int KeyIdSize = 16;

    private static readonly HashSet<CKR> PinRefused = [CKR.CKR_PIN_INCORRECT, CKR.CKR_PIN_INVALID, CKR.CKR_PIN_LEN_RANGE,
        CKR.CKR_PIN_LOCKED, CKR.CKR_PIN_EXPIRED];

    private readonly Pkcs11VaultOptions _options;
    private readonly Pkcs11Token _token;

    public Pkcs11MasterKeyEnvelope(Pkcs11VaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _token = new Pkcs11Token(options);
    }

    /// <summary>
    /// Wraps <paramref name="masterKey"/> under the token's key labelled <paramref name="keyLabel"/>, generating that key
    /// on the token when it has none.
    /// </summary>
    public WrappedMasterKey Wrap(MasterKey masterKey, string keyLabel = DefaultKeyLabel)
    {
        ArgumentNullException.ThrowIfNull(masterKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyLabel);
        Connect("the master key cannot be wrapped");
        return _token.Run(session =>
        {
            var (handle, keyId) = FindKeys(session, keyLabel).FirstOrDefault();
            if (handle is null)
            {
                keyId = RandomNumberGenerator.GetBytes(KeyIdSize);
                handle = GenerateWrappingKey(session, keyLabel, keyId);
            }

            var header = new WrappedMasterKey(WrappedMasterKey.FormatV1, _options.TokenLabel, keyLabel, Convert.ToHexStringLower(keyId!),
                WrappedMasterKey.AesGcm, RandomNumberGenerator.GetBytes(WrappedMasterKey.IvSize), []);
            var plaintext = masterKey.ExportBytes();
            try
            {
                using var gcm = Gcm(header);
                return header with { Ciphertext = session.Encrypt(gcm, handle, plaintext) };
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        });
    }

    /// <summary>Unwraps a wrapped master key on the token; the plaintext exists only in the returned <see cref="MasterKey"/>.</summary>
    /// <param name="source">Where the file came from, for the errors (<c>the file 'x' (Vault:MasterKeyFile)</c>).</param>
    public MasterKey Unwrap(WrappedMasterKey wrapped, string source)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        if (wrapped.Token != _options.TokenLabel)
        {
            throw new InvalidOperationException($"The vault master key in {source} is wrapped on the PKCS#11 token '{wrapped.Token}', " +
                $"but {Pkcs11VaultOptions.SectionName}:TokenLabel is '{_options.TokenLabel}': point it at that token, or wrap the master " +
                "key for this one.");
        }

        Connect($"the vault master key in {source} cannot be unwrapped");
        var plaintext = _token.Run(session =>
        {
            var keys = FindKeys(session, wrapped.KeyLabel);
            if (keys.Count == 0)
            {
                throw new InvalidOperationException($"The PKCS#11 token '{_options.TokenLabel}' has no key labelled '{wrapped.KeyLabel}', " +
                    $"which wrapped the vault master key in {source}: the key was destroyed (and every key the local store holds with " +
                    $"it) or {Pkcs11VaultOptions.SectionName}:TokenLabel names another token.");
            }

            var handle = keys.FirstOrDefault(key => Convert.ToHexStringLower(key.KeyId) == wrapped.KeyId).Handle
                ?? throw new InvalidOperationException($"The key '{wrapped.KeyLabel}' on the PKCS#11 token '{_options.TokenLabel}' is " +
                    $"not the one that wrapped the vault master key in {source} (its CKA_ID differs): the file was wrapped for another " +
                    $"token, or the key was created again. Set Vault:MasterKeyFile and {Pkcs11VaultOptions.SectionName}:TokenLabel to " +
                    "a file and the token it was wrapped on.");
            try
            {
                using var gcm = Gcm(wrapped);
                return session.Decrypt(gcm, handle, wrapped.Ciphertext);
            }
            catch (Pkcs11Exception exception) when (!Pkcs11Token.IsConnectionLost(exception.RV))
            {
                throw new InvalidOperationException($"The vault master key in {source} does not open with the key '{wrapped.KeyLabel}' " +
                    $"on the PKCS#11 token '{_options.TokenLabel}' ({exception.RV}): the file was altered. Restore Vault:MasterKeyFile " +
                    "from a copy.");
            }
        });

        try
        {
            return plaintext.Length == MasterKey.SizeInBytes
                ? MasterKey.FromBytes(plaintext)
                : throw new InvalidOperationException($"The vault master key in {source} unwraps to {plaintext.Length} bytes, not " +
                    $"{MasterKey.SizeInBytes}.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Destroys the wrapping key (<c>C_DestroyObject</c>): every master key file it wrapped, and so every key of every local
    /// store behind those files, their database backups included, can never be opened again. Returns whether one was there.
    /// </summary>
    public bool DestroyWrappingKey(string keyLabel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyLabel);
        Connect("the wrapping key cannot be destroyed");
        return _token.Run(session =>
        {
            var keys = FindKeys(session, keyLabel);
            foreach (var key in keys)
            {
                session.DestroyObject(key.Handle);
            }

            return keys.Count > 0;
        });
    }

    private void Connect(string consequence)
    {
        try
        {
            _token.Connect();
        }
        catch (InvalidOperationException exception) when (exception.InnerException is Pkcs11Exception { } refused && PinRefused.Contains(refused.RV))
        {
            throw new InvalidOperationException($"The PKCS#11 token '{_options.TokenLabel}' refused the configured PIN ({refused.RV}), so " +
                $"{consequence} ({MasterKeyWrappings.SettingName}=Pkcs11): set {Pkcs11VaultOptions.SectionName}:Pin or " +
                $"{Pkcs11VaultOptions.SectionName}:PinFile to the token's user PIN.");
        }
        catch (VaultUnavailableException exception)
        {
            throw new VaultUnavailableException(exception.Store, $"{exception.Message} So {consequence} ({MasterKeyWrappings.SettingName}=Pkcs11 uses the " +
                $"{Pkcs11VaultOptions.SectionName} settings).", exception);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException($"{exception.Message} So {consequence} ({MasterKeyWrappings.SettingName}=Pkcs11 uses the " +
                $"{Pkcs11VaultOptions.SectionName} settings).", exception);
        }
    }

    private List<(IObjectHandle Handle, byte[] KeyId)> FindKeys(ISession session, string keyLabel)
    {
        var attributes = _token.Factories.ObjectAttributeFactory;
        return session.FindAllObjects([
                attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
                attributes.Create(CKA.CKA_TOKEN, true), attributes.Create(CKA.CKA_LABEL, keyLabel),
            ])
            .Select(handle => (handle, session.GetAttributeValue(handle, [CKA.CKA_ID])[0].GetValueAsByteArray() ?? []))
            .ToList();
    }

    private IObjectHandle GenerateWrappingKey(ISession session, string keyLabel, byte[] keyId)
    {
        var attributes = _token.Factories.ObjectAttributeFactory;
        return session.GenerateKey(_token.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN),
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            attributes.Create(CKA.CKA_VALUE_LEN, (ulong)MasterKey.SizeInBytes), attributes.Create(CKA.CKA_TOKEN, true),
            attributes.Create(CKA.CKA_PRIVATE, true), attributes.Create(CKA.CKA_SENSITIVE, true),
            attributes.Create(CKA.CKA_EXTRACTABLE, false), attributes.Create(CKA.CKA_MODIFIABLE, false),
            attributes.Create(CKA.CKA_ENCRYPT, true), attributes.Create(CKA.CKA_DECRYPT, true),
            attributes.Create(CKA.CKA_WRAP, false), attributes.Create(CKA.CKA_UNWRAP, false),
            attributes.Create(CKA.CKA_SIGN, false), attributes.Create(CKA.CKA_VERIFY, false), attributes.Create(CKA.CKA_DERIVE, false),
            attributes.Create(CKA.CKA_LABEL, keyLabel), attributes.Create(CKA.CKA_ID, keyId),
        ]);
    }

    private IMechanism Gcm(WrappedMasterKey header) => _token.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM,
        _token.Factories.MechanismParamsFactory.CreateCkGcmParams(header.Iv, (ulong)header.Iv.Length * 8, header.AssociatedData(), TagBits));

    public void Dispose() => _token.Dispose();
}
