using System.Security.Cryptography;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace KeyPlatform.EnvironmentEncryption.DataKeys;

/// <summary>A data key just generated: its wrapped form to store, and its plaintext (pinned) to encrypt with. Disposing it
/// zeroes the plaintext.</summary>
public sealed class FreshDataKey(WrappedDataKey wrapped, byte[] plaintext) : IDisposable
{
    public WrappedDataKey Wrapped { get; } = wrapped;

    /// <summary>Never log it.</summary>
    public byte[] Plaintext { get; } = plaintext;

    public void Dispose() => CryptographicOperations.ZeroMemory(Plaintext);

    public override string ToString() => $"FreshDataKey {{ {Wrapped}, plaintext not shown }}";
}
