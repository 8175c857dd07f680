using System.Collections.Concurrent;
using System.Security.Cryptography;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// A key object found on the token: what it is (read once, it never changes), its handle, and its public key parsed once
/// for wraps (an <see cref="RSA"/> is not documented as safe for concurrent use, so encryptions take turns on it).
/// </summary>
internal sealed class KeyObject(TokenKey key, IObjectHandle handle)
{
    private readonly Lock _gate = new();
    private RSA? _publicKey;

    public TokenKey Key { get; } = key;

    public IObjectHandle Handle { get; } = handle;

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, RSAEncryptionPadding padding)
    {
        lock (_gate)
        {
            _publicKey ??= Key.PublicRsa();
            return _publicKey.Encrypt(plaintext, padding);
        }
    }
}

/// <summary>
/// The key objects one connection (one library generation) found on the token, by key id, so a wrap or unwrap does not
/// search the token (<c>C_FindObjects</c>, which makes SoftHSM re-read its object index and grows with the number of keys).
/// A cached handle proves nothing by itself: the call that uses it (<c>C_Decrypt</c>, or <c>C_GetAttributeValue</c> of the
/// label before a wrap) fails with <c>CKR_OBJECT_HANDLE_INVALID</c> / <c>CKR_KEY_HANDLE_INVALID</c> once the object is
/// destroyed, by this process or another; the vault then forgets the entry and searches once more. See decision 0018.
/// </summary>
internal sealed class KeyObjects
{
    private readonly ConcurrentDictionary<string, KeyObject> _found = new(StringComparer.Ordinal);

    public KeyObject? Cached(string keyId) => _found.TryGetValue(keyId, out var found) ? found : null;

    public KeyObject Remember(KeyObject found) => _found[found.Key.KeyId] = found;

    public void Forget(string keyId) => _found.TryRemove(keyId, out _);

    public int Count => _found.Count;
}
