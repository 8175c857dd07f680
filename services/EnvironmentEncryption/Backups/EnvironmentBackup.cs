using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;

namespace KeyPlatform.EnvironmentEncryption.Backups;

/// <summary>D5: a backup is the environment's encrypted records as they were, with the data key wrapped as it was
/// (by the key that protected the environment then). Restoring it needs that key (E4).</summary>
public sealed class EnvironmentBackup
{
    public string Id { get; set; } = "";
    public string TenantId { get; set; } = "";
    public string SourceEnvironmentId { get; set; } = "";
    public string Region { get; set; } = "";
    public string Label { get; set; } = "";
    public WrappedDataKey DataKey { get; set; } = null!;
    public List<BackedUpRecord> Records { get; set; } = [];
    public DateTimeOffset TakenAt { get; set; }
}

/// <summary>A record as it was encrypted in the source environment (bound to that environment's id).</summary>
public sealed record BackedUpRecord(string RecordId, RecordKind Kind, long Size, byte[] Nonce, byte[] Ciphertext, byte[] Tag)
{
    public static BackedUpRecord From(EnvironmentRecord record) =>
        new(record.RecordId, record.Kind, record.Size, record.Nonce, record.Ciphertext, record.Tag);
}
