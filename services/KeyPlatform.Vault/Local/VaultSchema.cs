using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// The vault's own PostgreSQL schema and its one table, created on first use. Concurrent first uses (several
/// instances starting together) are serialised by a transaction-scoped advisory lock, because
/// <c>CREATE ... IF NOT EXISTS</c> alone can still fail on a race in the system catalogs.
/// </summary>
internal sealed partial class VaultSchema
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _created;

    public VaultSchema(string schema)
    {
        if (string.IsNullOrWhiteSpace(schema) || !IdentifierPattern().IsMatch(schema))
        {
            throw new ArgumentException(
                "The vault schema name must be 1 to 63 lowercase letters, digits or underscores, starting with a letter or underscore.",
                nameof(schema));
        }

        Name = schema;
        Table = $"\"{schema}\".keys";
    }

    public string Name { get; }

    /// <summary>The qualified, quoted table name to put in SQL.</summary>
    public string Table { get; }

    public async Task EnsureCreatedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_created)
            {
                return;
            }

            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@lock)", connection, transaction))
            {
                command.Parameters.AddWithValue("lock", AdvisoryLockId());
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var command = new NpgsqlCommand(CreateSql(), connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _created = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The current shape for a fresh schema, then the steps that bring a table of the first shape (no owners) to it.
    /// Every step is idempotent, so this runs as a whole on every first use: on a fresh schema the steps change nothing.
    /// </summary>
    private string CreateSql() => $"""
        -- Looked up first, as Weasel does: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema
        -- exists, and the vault's role is given none (the provisioning makes the schema).
        DO $create$
        BEGIN
            IF to_regnamespace('"{Name}"') IS NULL THEN
                CREATE SCHEMA "{Name}";
            END IF;
        END
        $create$;
        CREATE TABLE IF NOT EXISTS {Table} (
            key_id             text        PRIMARY KEY,
            version            text        NOT NULL,
            purpose            text        NOT NULL CHECK (purpose IN ('tenant', 'platform', 'key-exchange')),
            name               text        NOT NULL,
            tenant_id          text        NULL,
            region             text        NULL,
            thumbprint         text        NOT NULL,
            public_key         bytea       NOT NULL,
            sealed_private_key bytea       NOT NULL,
            created_at         timestamptz NOT NULL,
            seal_format        smallint    NOT NULL DEFAULT 1
        );
        COMMENT ON COLUMN {Table}.public_key IS 'SubjectPublicKeyInfo DER';
        COMMENT ON COLUMN {Table}.sealed_private_key IS 'PKCS#8 sealed with AES-256-GCM under the master key (kept outside the database)';

        -- Owners (tenant, region, purpose). A table of the first shape gets the columns; its rows keep seal format 1,
        -- and its tenant keys, stored without tenant or region, have no owner: the vault refuses them until re-bound.
        ALTER TABLE {Table} ADD COLUMN IF NOT EXISTS tenant_id text NULL;
        ALTER TABLE {Table} ADD COLUMN IF NOT EXISTS seal_format smallint NOT NULL DEFAULT 1;
        ALTER TABLE {Table} DROP CONSTRAINT IF EXISTS keys_region_only_for_region_keys;
        -- The platform key and the key-exchange key exist once per region; a region has many tenant keys.
        CREATE UNIQUE INDEX IF NOT EXISTS keys_one_region_key_per_purpose ON {Table} (purpose, region) WHERE purpose <> 'tenant';
        ALTER TABLE {Table} DROP CONSTRAINT IF EXISTS keys_one_per_purpose_and_region;
        DO $do$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_constraint
                           WHERE conname = 'keys_owner_matches_purpose' AND conrelid = '{Table}'::regclass) THEN
                ALTER TABLE {Table} ADD CONSTRAINT keys_owner_matches_purpose CHECK (
                    (purpose <> 'tenant' AND tenant_id IS NULL AND region IS NOT NULL)
                    OR (purpose = 'tenant' AND tenant_id IS NOT NULL AND region IS NOT NULL AND seal_format = 2)
                    OR (purpose = 'tenant' AND tenant_id IS NULL AND region IS NULL AND seal_format = 1));
            END IF;
        END
        $do$;
        """;

    private long AdvisoryLockId() =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"keyplatform-vault-schema:{Name}")));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();
}
