namespace KeyPlatform.Vault.KeyFiles;

/// <summary>
/// What a key file's private key answers to a <see cref="PossessionChallenge"/>: the public key the file carries
/// (SubjectPublicKeyInfo DER) and the RSA-PSS SHA-256 signature. Public information only.
/// </summary>
public sealed record PossessionSignature(byte[] SubjectPublicKeyInfo, byte[] Signature)
{
    public override string ToString() =>
        $"PossessionSignature {{ {SubjectPublicKeyInfo.Length} bytes of public key, {Signature.Length} bytes of signature }}";
}
