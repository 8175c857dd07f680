namespace KeyPlatform.Vault;

/// <summary>A data key wrapped by a vault key with <see cref="Algorithm"/> (a <see cref="WrappingAlgorithm"/> name); safe to
/// store next to the data (D1, D5). Store the algorithm with it: it is what <see cref="IKeyVault.UnwrapAsync"/> needs.</summary>
public sealed record WrappedKey(string KeyId, string Version, byte[] Ciphertext, string Algorithm)
{
    public override string ToString() =>
        $"WrappedKey {{ KeyId = {KeyId}, Version = {Version}, Algorithm = {Algorithm}, Ciphertext = [{Ciphertext.Length} bytes] }}";
}
