using System.Security.Cryptography;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;

namespace KeyPlatform.EnvironmentEncryption.Backups;

/// <summary>Moving records between environments (restore, copy): each record is decrypted with the data key it was
/// written under (bound to the environment it came from) and encrypted again under the target's data key, bound to
/// the target. Keys come from the vault for the operation and are zeroed after it.</summary>
public sealed class RecordTransfer(DataKeyVault dataKeys)
{
    public async Task<(Refusal? Refusal, List<EnvironmentRecord>? Records)> ReencryptAsync(WrappedDataKey sourceKey, string sourceRegion,
        string sourceEnvironmentId, IReadOnlyList<BackedUpRecord> records, TenantEnvironment target, TenantFacts? facts, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        UnwrappedKey? from = null, to = null;
        try
        {
            try
            {
                from = await dataKeys.UnwrapAsync(sourceKey, facts, sourceRegion, cancellationToken);
                to = await dataKeys.UnwrapAsync(target.DataKey!, facts, target.Region, cancellationToken);
            }
            catch (VaultKeyNotFoundException)
            {
                return (new Refusal(Rules.D5,
                    $"The key that protects these records (thumbprint {sourceKey.Thumbprint}) is no longer in the vault; they cannot be restored or copied."), null);
            }

            var result = new List<EnvironmentRecord>(records.Count);
            foreach (var record in records)
            {
                var plaintext = RecordCipher.Decrypt(from.PlaintextKey, sourceEnvironmentId, record.RecordId, record.Kind, record.Nonce,
                    record.Ciphertext, record.Tag);
                try
                {
                    var (nonce, ciphertext, tag) = RecordCipher.Encrypt(to.PlaintextKey, target.EnvironmentId, record.RecordId, record.Kind, plaintext);
                    result.Add(new EnvironmentRecord
                    {
                        Id = EnvironmentRecord.DocumentId(target.EnvironmentId, record.RecordId),
                        EnvironmentId = target.EnvironmentId,
                        RecordId = record.RecordId,
                        Kind = record.Kind,
                        Size = record.Size,
                        DataKeyId = target.DataKey!.DataKeyId,
                        Nonce = nonce,
                        Ciphertext = ciphertext,
                        Tag = tag,
                        WrittenAt = now,
                    });
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(plaintext);
                }
            }
            return (null, result);
        }
        finally
        {
            from?.Dispose();
            to?.Dispose();
        }
    }
}

public sealed record BackupView(string BackupId, string EnvironmentId, string Label, int RecordCount, EnvironmentProtection Protection,
    string? TenantKeyId, string Thumbprint, DateTimeOffset TakenAt)
{
    public static BackupView From(EnvironmentBackup backup) => new(backup.Id, backup.SourceEnvironmentId, backup.Label, backup.Records.Count,
        backup.DataKey.Protection, backup.DataKey.TenantKeyId, backup.DataKey.Thumbprint, backup.TakenAt);
}
