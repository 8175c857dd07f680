namespace KeyPlatform.Vault.KeyFiles;

/// <summary>Either the value read from a key file, or the refusal that says why the file is not acceptable.</summary>
public sealed class KeyFileResult<T>
    where T : class
{
    private readonly T? _value;

    private KeyFileResult(T? value, KeyFileRefusal? refusal)
    {
        _value = value;
        Refusal = refusal;
    }

    public KeyFileRefusal? Refusal { get; }

    public bool IsRefused => Refusal is not null;

    /// <summary>The value; reading it on a refused result is a programming error.</summary>
    public T Value => _value ?? throw new InvalidOperationException($"The key file was refused: {Refusal!.Reason}");

    public static KeyFileResult<T> Accepted(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static KeyFileResult<T> Refused(KeyFileRefusal refusal) =>
        new(null, refusal ?? throw new ArgumentNullException(nameof(refusal)));

    public static implicit operator KeyFileResult<T>(T value) => Accepted(value);

    public static implicit operator KeyFileResult<T>(KeyFileRefusal refusal) => Refused(refusal);

    public override string ToString() => IsRefused ? $"Refused {Refusal}" : $"Accepted {_value}";
}
