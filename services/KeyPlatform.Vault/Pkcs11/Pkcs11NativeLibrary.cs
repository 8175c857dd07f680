using System.Reflection;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// Pkcs11Interop 5.3 loads vendor libraries through <c>dlopen</c> from a library it names <c>libdl</c>; Debian 12 ships only
/// <c>libdl.so.2</c> (no development symlink), so without this mapping every load fails with DllNotFoundException.
/// </summary>
internal static class Pkcs11NativeLibrary
{
    private static int _registered;

    public static void EnsureResolver()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, Resolve);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == "libdl" && NativeLibrary.TryLoad("libdl.so.2", assembly, searchPath, out var handle)
            ? handle
            : IntPtr.Zero;
}
