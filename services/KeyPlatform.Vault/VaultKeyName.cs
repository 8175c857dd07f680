namespace KeyPlatform.Vault;

/// <summary>The label an admin gives a key. Not an id: two keys may share a name. Callers validate what they put
/// in it (a tenant key is labelled <c>{tenant}/{region}/{name}</c>, at most 63 + 32 + 100 characters and two '/').</summary>
public sealed record VaultKeyName
{
    public const int MaxLength = 256;

    public VaultKeyName(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var trimmed = value.Trim();
        if (trimmed.Length > MaxLength)
        {
            throw new ArgumentException($"A key name is at most {MaxLength} characters.", nameof(value));
        }

        if (trimmed.Any(char.IsControl))
        {
            throw new ArgumentException("A key name cannot contain control characters.", nameof(value));
        }

        Value = trimmed;
    }

    public string Value { get; }

    public override string ToString() => Value;
}
