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

    /// <summary>The bytes the key signs: a domain label, the purpose and the nonce.</summary>
    public byte[] ToBeSigned()
    {
        var label = Encoding.UTF8.GetBytes($"{Domain}|{Purpose}|");
        return [.. label, .. _nonce];
    }

    public override string ToString() => $"PossessionChallenge {{ {Purpose} }}";
}
