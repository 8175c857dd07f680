using System.Linq.Expressions;
using System.Security.Cryptography;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Vault;

namespace KeyPlatform.EnvironmentEncryption.Backups;

/// <summary>Moving records from one data key to another: between environments (restore, copy), or within one to a fresh
/// data key (V3: E2, E3). Each record is decrypted with the data key it was written under (bound to the environment it
/// came from) and encrypted again under the target's data key, bound to the target. Keys come from the vault for the
/// operation and are zeroed after it.</summary>
public sealed class RecordTransfer(DataKeyVault dataKeys)
{
    /// <summary>One record, from <paramref name="from"/> (it was encrypted in <paramref name="sourceEnvironmentId"/>) to
    /// <paramref name="to"/> in <paramref name="targetEnvironmentId"/>. Throws <see cref="AuthenticationTagMismatchException"/>
    /// when the record was not encrypted under <paramref name="from"/>; the plaintext is zeroed either way.</summary>
    public static EnvironmentRecord Reencrypt(ReadOnlySpan<byte> from, string sourceEnvironmentId, BackedUpRecord record, ReadOnlySpan<byte> to,
        string targetEnvironmentId, string targetDataKeyId, DateTimeOffset writtenAt)
    {
        var plaintext = RecordCipher.Decrypt(from, sourceEnvironmentId, record.RecordId, record.Kind, record.Nonce, record.Ciphertext, record.Tag);
        try
        {
            var (nonce, ciphertext, tag) = RecordCipher.Encrypt(to, targetEnvironmentId, record.RecordId, record.Kind, plaintext);
            return new EnvironmentRecord
            {
                Id = EnvironmentRecord.DocumentId(targetEnvironmentId, record.RecordId),
                EnvironmentId = targetEnvironmentId,
                RecordId = record.RecordId,
                Kind = record.Kind,
                Size = record.Size,
                DataKeyId = targetDataKeyId,
                Nonce = nonce,
                Ciphertext = ciphertext,
                Tag = tag,
                WrittenAt = writtenAt,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>V3 (E2, E3): the environment's records, moved from its data key to a fresh one wrapped only by
    /// <paramref name="target"/>; each keeps its write time. Throws what the vault throws when a key is missing or not the
    /// environment's, and <see cref="AuthenticationTagMismatchException"/> when a record does not open with the data key.</summary>
    public async Task<(WrappedDataKey Key, List<EnvironmentRecord> Records)> ToFreshDataKeyAsync(TenantEnvironment environment,
        IReadOnlyList<EnvironmentRecord> records, WrappingKey target, TenantFacts? facts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var from = await dataKeys.UnwrapAsync(environment.DataKey!, environment.TenantId, facts, environment.Region, cancellationToken);
        using var fresh = await dataKeys.GenerateAsync(target, now, cancellationToken);
        var moved = new List<EnvironmentRecord>(records.Count);
        foreach (var record in records)
            moved.Add(Reencrypt(from.PlaintextKey, environment.EnvironmentId, BackedUpRecord.From(record), fresh.Plaintext,
                environment.EnvironmentId, fresh.Wrapped.DataKeyId, record.WrittenAt));
        return (fresh.Wrapped, moved);
    }

    /// <summary>Replaces the target's records with <paramref name="records"/> in the transaction that records the decision,
    /// provided the target still has the data key they were encrypted under.</summary>
    public static Task<CommandResult> ReplaceRecordsAsync(StreamCommands streams, CommandContext context, TenantEnvironment target,
        IReadOnlyList<EnvironmentRecord> records, Func<TenantEnvironment, DateTimeOffset, Decision> decide, CancellationToken cancellationToken) =>
        streams.DecideAsync<TenantEnvironment>(TenantEnvironment.StreamKey(target.EnvironmentId), context,
            (current, now) => current?.DataKey?.DataKeyId != target.DataKey!.DataKeyId
                ? Decision.Refuse(Refusal.Invalid("The target's data key changed meanwhile; try again."))
                : decide(current, now),
            cancellationToken,
            (session, decision, _) =>
            {
                if (decision.Events.Count == 0) return;
                session.DeleteWhere<EnvironmentRecord>(r => r.EnvironmentId == target.EnvironmentId);
                foreach (var record in records) session.Store(record);
            });

    public async Task<(Refusal? Refusal, List<EnvironmentRecord>? Records)> ReencryptAsync(WrappedDataKey sourceKey, string sourceRegion,
        string sourceEnvironmentId, IReadOnlyList<BackedUpRecord> records, TenantEnvironment target, TenantFacts? facts, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        UnwrappedKey? from = null, to = null;
        try
        {
            try
            {
                // E4: source and target are the same tenant's, so the source's key must be the target tenant's too.
                from = await dataKeys.UnwrapAsync(sourceKey, target.TenantId, facts, sourceRegion, cancellationToken);
                to = await dataKeys.UnwrapAsync(target.DataKey!, target.TenantId, facts, target.Region, cancellationToken);
            }
            catch (VaultKeyOwnershipException)
            {
                return (new Refusal(Rules.K1,
                    $"The key that protects these records (thumbprint {sourceKey.Thumbprint}) is not a key of this tenant and region in the vault; they cannot be restored or copied."), null);
            }
            catch (VaultKeyNotFoundException)
            {
                return (new Refusal(Rules.D5,
                    $"The key that protects these records (thumbprint {sourceKey.Thumbprint}) is no longer in the vault; they cannot be restored or copied."), null);
            }

            var result = new List<EnvironmentRecord>(records.Count);
            foreach (var record in records)
                result.Add(Reencrypt(from.PlaintextKey, sourceEnvironmentId, record, to.PlaintextKey, target.EnvironmentId,
                    target.DataKey!.DataKeyId, now));
            return (null, result);
        }
        finally
        {
            from?.Dispose();
            to?.Dispose();
        }
    }
}

/// <summary>A backup as its list shows it. <see cref="Projection"/> is translated to SQL by Marten, so the list counts
/// each backup's records in the database instead of loading their ciphertext.</summary>
public sealed record BackupView(string BackupId, string EnvironmentId, string Label, int RecordCount, EnvironmentProtection Protection,
    string? TenantKeyId, string Thumbprint, DateTimeOffset TakenAt)
{
    public static readonly Expression<Func<EnvironmentBackup, BackupView>> Projection = backup => new BackupView(backup.Id,
        backup.SourceEnvironmentId, backup.Label, backup.Records.Count, backup.DataKey.Protection, backup.DataKey.TenantKeyId,
        backup.DataKey.Thumbprint, backup.TakenAt);
}
