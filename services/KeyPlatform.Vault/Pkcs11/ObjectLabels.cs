using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using LowLevel = Net.Pkcs11Interop.LowLevelAPI80;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// Whether an object's <c>CKA_LABEL</c> is a given label, in one <c>C_GetAttributeValue</c>. Pkcs11Interop's high-level
/// API asks the token for the length first and then for the value (two calls, and SoftHSM checks the object's file and
/// decrypts a private object's label on each); the label a kept handle should carry is known, so a buffer of its size
/// is passed at once and the token answers in one call. That call goes through Pkcs11Interop's low-level API over the same
/// loaded library (a second <c>dlopen</c> of it: the same code and the same initialised state; <c>C_Initialize</c> stays
/// the high-level library's). The low-level layout used is that of 64-bit Linux and macOS (8-byte <c>CK_ULONG</c>,
/// unpacked structures, Pkcs11Interop's <c>LowLevelAPI80</c>); on another platform the high-level read is used. Decision 0018.
/// </summary>
internal sealed class ObjectLabels : IDisposable
{
    private readonly LowLevel.Pkcs11Library? _oneCall;

    private ObjectLabels(LowLevel.Pkcs11Library? oneCall) => _oneCall = oneCall;

    /// <summary>For the library the high-level API has loaded and initialised already.</summary>
    public static ObjectLabels For(string libraryPath) =>
        new(Platform.NativeULongSize == 8 && Platform.StructPackingSize == 0 ? new LowLevel.Pkcs11Library(libraryPath) : null);

    /// <summary>
    /// True when the object's label is <paramref name="label"/>; false when it is another. A destroyed object (or any other
    /// refusal) throws the token's <see cref="Pkcs11Exception"/>, as the high-level API does.
    /// </summary>
    public bool Is(ISession session, IObjectHandle handle, string label)
    {
        if (_oneCall is null)
        {
            return string.Equals(session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0].GetValueAsString(), label, StringComparison.Ordinal);
        }

        var expected = Encoding.UTF8.GetBytes(label);
        LowLevel.CK_ATTRIBUTE[] template = [LowLevel.CkaUtils.CreateAttribute(CKA.CKA_LABEL, new byte[expected.Length])];
        try
        {
            var rv = _oneCall.C_GetAttributeValue(session.SessionId, handle.ObjectId, template, 1);
            if (rv == CKR.CKR_BUFFER_TOO_SMALL)
            {
                return false; // a longer label: another object
            }

            if (rv != CKR.CKR_OK)
            {
                throw new Pkcs11Exception("C_GetAttributeValue", rv);
            }

            return template[0].valueLen == (ulong)expected.Length
                && UnmanagedMemory.Read(template[0].value, expected.Length).AsSpan().SequenceEqual(expected);
        }
        finally
        {
            UnmanagedMemory.Free(ref template[0].value);
        }
    }

    /// <summary>Drops this reference to the library (before the high-level one finalises and unloads it).</summary>
    public void Dispose() => _oneCall?.Dispose();
}
