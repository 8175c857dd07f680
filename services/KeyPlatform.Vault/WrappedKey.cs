namespace KeyPlatform.Vault;

/// <summary>A data key wrapped (RSA-OAEP-SHA256) by a vault key; safe to store next to the data (D1, D5).</summary>
public sealed record WrappedKey(string KeyId, string Version, byte[] Ciphertext)
{
    /// <summary>The JOSE name of the wrapping algorithm.</summary>
    public const string Algorithm = "RSA-OAEP-256";

    public override string ToString() =>
        $"WrappedKey {{ KeyId = {KeyId}, Version = {Version}, Ciphertext = [{Ciphertext.Length} bytes] }}";
}
