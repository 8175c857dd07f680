namespace KeyPlatform.ServiceDefaults.Commands;

/// <summary>The limits of every form that carries a key file and its password (key upload K4, lock L1, unlock U1).
/// The key file reader has its own, tighter limits (K2).</summary>
public static class KeyUploads
{
    /// <summary>Larger than any honest key file.</summary>
    public const long MaxFileBytes = 256 * 1024;

    /// <summary>The request-size limit of such a form: the file and a little room for the other fields.</summary>
    public const long MaxRequestBytes = MaxFileBytes + 64 * 1024;

    /// <summary>Longer than any password a person types; what is strong enough is decided elsewhere (K3).</summary>
    public const int MaxPasswordLength = 1024;
}
