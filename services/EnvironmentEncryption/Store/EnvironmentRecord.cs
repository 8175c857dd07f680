namespace KeyPlatform.EnvironmentEncryption.Store;

/// <summary>What a record holds. T4: files and images are kept in the environment's store only under conditions.</summary>
public enum RecordKind
{
    Data,
    File,
    Image,
}

/// <summary>One record of an environment's store (the stand-in for its database): AES-256-GCM under the environment's
/// data key, with the environment id, record id and kind bound as associated data (<see cref="RecordCipher"/>).
/// A document in this service's schema, not an event: data is not event-sourced, and E5 really deletes it.</summary>
public sealed class EnvironmentRecord
{
    public string Id { get; set; } = "";
    public string EnvironmentId { get; set; } = "";
    public string RecordId { get; set; } = "";
    public RecordKind Kind { get; set; }
    public long Size { get; set; }

    /// <summary>The data key it is encrypted with (D3: a rewrap keeps it; a reset replaces it).</summary>
    public string DataKeyId { get; set; } = "";

    public byte[] Nonce { get; set; } = [];
    public byte[] Ciphertext { get; set; } = [];
    public byte[] Tag { get; set; } = [];
    public DateTimeOffset WrittenAt { get; set; }

    public static string DocumentId(string environmentId, string recordId) => $"{environmentId}/{recordId}";
}
