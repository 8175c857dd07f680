using System.Collections.Concurrent;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// A key object found on the token: what it is (read once, it never changes), its handle, and its public key parsed for
/// wraps. An <see cref="RSA"/> is not documented as safe for concurrent use, so each concurrent caller takes one of its own
/// from a small pool (as many as callers ever wrapped at once with this key) instead of waiting for the others.
/// </summary>
internal sealed class KeyObject(TokenKey key, IObjectHandle handle)
{
    private readonly ConcurrentBag<RSA> _publicKeys = [];

    public TokenKey Key { get; } = key;

    public IObjectHandle Handle { get; } = handle;

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, RSAEncryptionPadding padding)
    {
        var publicKey = _publicKeys.TryTake(out var idle) ? idle : Key.PublicRsa();
        try
        {
            return publicKey.Encrypt(plaintext, padding);
        }
        finally
        {
            _publicKeys.Add(publicKey);
        }
    }
}

/// <summary>
/// The key objects one connection (one library generation) found on the token, by key id, so a wrap or unwrap does not
/// search the token (<c>C_FindObjects</c>, which makes SoftHSM re-read its object index and grows with the number of keys).
/// A cached handle proves nothing by itself: the call that uses it (<c>C_Decrypt</c>, or <see cref="StillThere"/> before a
/// wrap) fails with <c>CKR_OBJECT_HANDLE_INVALID</c> / <c>CKR_KEY_HANDLE_INVALID</c> once the object is destroyed, by this
/// process or another; the vault then forgets the entry and searches once more. See decision 0018.
/// </summary>
internal sealed class KeyObjects(ObjectLabels labels)
{
    private readonly ConcurrentDictionary<string, KeyObject> _found = new(StringComparer.Ordinal);

    /// <summary>What a token answers for a handle whose object was destroyed (by any process) or never was.</summary>
    public static bool IsObjectGone(CKR value) => value is CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_KEY_HANDLE_INVALID;

    public KeyObject? Cached(string keyId) => _found.TryGetValue(keyId, out var found) ? found : null;

    public KeyObject Remember(KeyObject found) => _found[found.Key.KeyId] = found;

    public void Forget(string keyId) => _found.TryRemove(keyId, out _);

    public int Count => _found.Count;

    /// <summary>
    /// Whether the kept handle still names this key's object: one <c>C_GetAttributeValue</c> of its label
    /// (<see cref="ObjectLabels"/>), which fails on a destroyed object (SoftHSM checks the object's file on every call) and
    /// shows a handle the token gave to another object.
    /// </summary>
    public bool StillThere(ISession session, KeyObject kept)
    {
        try
        {
            return labels.Is(session, kept.Handle, kept.Key.KeyId);
        }
        catch (Pkcs11Exception exception) when (IsObjectGone(exception.RV))
        {
            return false;
        }
    }
}
