using System.Security.Cryptography;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>
/// Proof of possession of an uploaded key (K2 at import, L1 at lock, U1 at unlock), the one place it is made: the
/// file's private key signs a fresh <see cref="PossessionChallenge"/> (RSA-PSS, SHA-256) and the signature is verified
/// with the public key the file carries. Only a private key that belongs to that public key passes, whatever checks
/// the crypto library or vault behind the port does or does not make. The caller then compares the proved thumbprint
/// with the one it expects (the active key for L1, the locking key for U1).
/// </summary>
/// <remarks>
/// A .pfx is proved in process (<see cref="Prove"/>), since its private key is in memory after reading it; a .byok only
/// opens inside the vault, so the vault signs (<see cref="IKeyVault.SignByokChallengeAsync"/>) and
/// <see cref="Verify"/> checks its answer here. Refusals carry rule K2 (callers restate them under L1 or U1) and
/// never show key material.
/// </remarks>
public static class PossessionProof
{
    public const string ImportPurpose = "import";
    public const string LockPurpose = "lock";
    public const string UnlockPurpose = "unlock";

    private static readonly HashAlgorithmName Hash = HashAlgorithmName.SHA256;
    private static readonly RSASignaturePadding Padding = RSASignaturePadding.Pss;

    /// <summary>The refusal for a private key that does not belong to the public key beside it.</summary>
    public static KeyFileRefusal Mismatch { get; } = KeyFileRefusal.K2(
        "The private key in the file does not match its public key (proof of possession failed): " +
        "it could not sign a fresh challenge that the public key verifies.");

    /// <summary>Signs <paramref name="challenge"/> with <paramref name="privateKey"/>: what the holder of a key file does.</summary>
    public static KeyFileResult<PossessionSignature> Sign(RSA privateKey, PossessionChallenge challenge)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(challenge);
        try
        {
            return new PossessionSignature(
                privateKey.ExportSubjectPublicKeyInfo(), privateKey.SignData(challenge.ToBeSigned(), Hash, Padding));
        }
        catch (CryptographicException)
        {
            return Mismatch;
        }
    }

    /// <summary>Checks a signature against the challenge and the public key it came with; the proved thumbprint, or K2.</summary>
    public static KeyFileResult<string> Verify(PossessionChallenge challenge, PossessionSignature answer)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(answer);
        try
        {
            using var publicKey = RSA.Create();
            publicKey.ImportSubjectPublicKeyInfo(answer.SubjectPublicKeyInfo, out var read);
            return read == answer.SubjectPublicKeyInfo.Length
                   && publicKey.VerifyData(challenge.ToBeSigned(), answer.Signature, Hash, Padding)
                ? KeyThumbprint.Of(answer.SubjectPublicKeyInfo)
                : Mismatch;
        }
        catch (CryptographicException)
        {
            return Mismatch;
        }
    }

    /// <summary>Proves a private key held in memory (a .pfx just read): a fresh challenge, signed and verified.</summary>
    public static KeyFileResult<string> Prove(RSA privateKey, string purpose)
    {
        var challenge = PossessionChallenge.New(purpose);
        var signed = Sign(privateKey, challenge);
        return signed.IsRefused ? signed.Refusal! : Verify(challenge, signed.Value);
    }

    /// <summary>Proves a .byok: the vault opens it and signs a fresh challenge, the signature is checked here.</summary>
    public static async Task<KeyFileResult<string>> ProveByokAsync(IKeyVault vault, byte[] byokFile, string region, string purpose,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vault);
        var challenge = PossessionChallenge.New(purpose);
        var signed = await vault.SignByokChallengeAsync(byokFile, region, challenge, cancellationToken).ConfigureAwait(false);
        return signed.IsRefused ? signed.Refusal! : Verify(challenge, signed.Value);
    }
}
