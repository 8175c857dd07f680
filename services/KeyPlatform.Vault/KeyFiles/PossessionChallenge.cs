using System.Security.Cryptography;
using System.Text;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>
/// A fresh challenge for one proof of possession: 32 random bytes and the purpose they are for (import, lock,
/// unlock), so a signature made for one purpose or one attempt proves nothing for another. Public; never stored.
/// </summary>
public sealed class PossessionChallenge
{
    public const int NonceBytes = 32;
    private const string Domain = "keyplatform possession proof v1";

    private readonly byte[] _nonce;

    private PossessionChallenge(string purpose, byte[] nonce)
    {
        Purpose = purpose;
        _nonce = nonce;
    }

    /// <summary>What the proof is for, e.g. <see cref="PossessionProof.ImportPurpose"/>.</summary>
    public string Purpose { get; }

    public static PossessionChallenge New(string purpose)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        return new PossessionChallenge(purpose, RandomNumberGenerator.GetBytes(NonceBytes));
    }

    /// <summary>The nonce, for a vault that signs in another process (the vault gateway). Public, like the challenge.</summary>
    public ReadOnlySpan<byte> Nonce => _nonce;

    /// <summary>A challenge made by <see cref="New"/> in another process, as it arrives at the vault that signs it (the vault
    /// gateway); a nonce of another length is an <see cref="ArgumentException"/>.</summary>
    public static PossessionChallenge Received(string purpose, ReadOnlySpan<byte> nonce)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        return nonce.Length == NonceBytes
            ? new PossessionChallenge(purpose, nonce.ToArray())
            : throw new ArgumentException($"A challenge's nonce is {NonceBytes} bytes.", nameof(nonce));
    }

    /// <summary>The bytes the key signs: a domain label, the purpose and the nonce.</summary>
    public byte[] ToBeSigned()
    {
        var label = Encoding.UTF8.GetBytes($"{Domain}|{Purpose}|");
        return [.. label, .. _nonce];
    }

    public override string ToString() => $"PossessionChallenge {{ {Purpose} }}";
}
