using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;
using Npgsql;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// The vault on this platform's own PostgreSQL: one row per key, the private key as PKCS#8 sealed with AES-256-GCM
/// under the master key (which is configuration, never in the database or the event store).
/// </summary>
/// <remarks>
/// Every call reads the key's row first, so a key deleted by any instance (L4) stops working in all of them at once
/// (D4). Unwrapping keeps imported private keys in a bounded <see cref="PrivateKeyCache"/> (measured here: ~340
/// unwraps/s on one thread without it, the PKCS#8 import costing more than the RSA decryption); see its remarks for
/// the trade-off. <see cref="LocalVaultOptions.PrivateKeyCacheSize"/> = 0 turns it off.
/// </remarks>
public sealed class LocalKeyVault : IKeyVault, IAsyncDisposable, IDisposable
{
    /// <summary>Tenant and platform keys (K2).</summary>
    public const int DataKeyWrappingKeySizeBits = 2048;

    /// <summary>
    /// The key-exchange key is the highest-value key of a region: whoever holds it can read every .byok ever uploaded
    /// there. It is used only at BYOK import, so the cost of 4096 bits (slower generation, once) does not matter.
    /// </summary>
    public const int KeyExchangeKeySizeBits = 4096;

    private const string DataKeyAlgorithm = WrappingAlgorithm.RsaOaep256;

    private static readonly RSAEncryptionPadding DataKeyPadding = WrappingAlgorithm.Padding(DataKeyAlgorithm);

    /// <summary>What this vault wraps with (D1). It unwraps every <see cref="WrappingAlgorithm"/>, so data wrapped
    /// elsewhere with RSA-OAEP (SHA-1) still opens after a key moved here, until K8 moves it to this one.</summary>
    public string PreferredWrappingAlgorithm => DataKeyAlgorithm;

    private const string Columns =
        "key_id, version, purpose, name, tenant_id, region, thumbprint, public_key, sealed_private_key, created_at, seal_format";

    private readonly NpgsqlDataSource _dataSource;
    private readonly MasterKey _masterKey;
    private readonly TimeProvider _time;
    private readonly VaultSchema _schema;
    private readonly PrivateKeyCache _privateKeys;
    private readonly VaultRegion _regions;

    public LocalKeyVault(LocalVaultOptions options, MasterKey masterKey, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(masterKey);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException("The vault needs a PostgreSQL connection string (ConnectionStrings:Postgres).");
        }

        _schema = new VaultSchema(options.Schema);
        _masterKey = masterKey;
        _time = timeProvider ?? TimeProvider.System;
        _dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        _privateKeys = new PrivateKeyCache(options.PrivateKeyCacheSize, _time);
        _regions = new VaultRegion(options.Regions);
    }

    public string Schema => _schema.Name;

    internal PrivateKeyCache PrivateKeys => _privateKeys;

    public async Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(privateKey);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        VaultArguments.RequireTenantKeySize(privateKey);

        var row = Seal(tenantOwner, name.Value, privateKey);
        await InsertAsync(row, cancellationToken).ConfigureAwait(false);
        return row.ToInfo();
    }

    public async Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(
        VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(provedThumbprint);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        var read = await ReadByokAsync(byokFile, tenantOwner.Region, cancellationToken).ConfigureAwait(false);
        if (read.IsRefused)
        {
            return read.Refusal!;
        }

        using var key = read.Value;
        if (!string.Equals(key.Thumbprint, provedThumbprint, StringComparison.Ordinal))
        {
            return KeyFileRefusal.K2("The .byok file does not carry the key whose possession was proved.");
        }

        return await ImportAsync(name, tenantOwner, key.PrivateKey, cancellationToken).ConfigureAwait(false);
    }

    public async Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(
        byte[] byokFile, string region, PossessionChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var read = await ReadByokAsync(byokFile, region, cancellationToken).ConfigureAwait(false);
        if (read.IsRefused)
        {
            return read.Refusal!;
        }

        using var key = read.Value;
        return PossessionProof.Sign(key.PrivateKey, challenge);
    }

    public async Task<GeneratedVaultKey> GenerateAsync(
        VaultKeyName name, VaultKeyOwner owner, string pfxPassword, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var tenantOwner = VaultArguments.TenantOwner(owner);
        VaultArguments.RequirePfxPassword(pfxPassword);

        using var rsa = RSA.Create(DataKeyWrappingKeySizeBits);
        var row = Seal(tenantOwner, name.Value, rsa);

        // The .pfx is made before the key is stored, so a failure leaves nothing behind in the vault.
        var pfx = SelfSignedPfx.Export(rsa, name, pfxPassword, row.CreatedAt);
        await InsertAsync(row, cancellationToken).ConfigureAwait(false);
        return new GeneratedVaultKey(row.ToInfo(), pfx);
    }

    public async Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToWrap(plaintextKey);

        var row = await FindDataKeyWrappingKeyAsync(key, cancellationToken).ConfigureAwait(false);

        // Opening the seal proves the public key in the row is the one stored with the private key.
        CryptographicOperations.ZeroMemory(OpenPrivateKey(row));
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(row.PublicKey, out _);
        return new WrappedKey(row.KeyId, row.Version, rsa.Encrypt(plaintextKey.Span, DataKeyPadding), DataKeyAlgorithm);
    }

    public async Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        VaultArguments.RequireKeyToUnwrap(wrappedKey);

        var padding = WrappingAlgorithm.Padding(algorithm);
        var row = await FindDataKeyWrappingKeyAsync(key, cancellationToken).ConfigureAwait(false);
        var plaintext = _privateKeys.Decrypt(row, ImportPrivateKey, wrappedKey.Span, padding);
        return new UnwrappedKey(row.KeyId, row.Version, plaintext);
    }

    public async Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        await _schema.EnsureCreatedAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        await using (var delete = _dataSource.CreateCommand(
            $"DELETE FROM {_schema.Table} WHERE key_id = @key_id AND purpose = @purpose"))
        {
            delete.Parameters.AddWithValue("key_id", keyId);
            delete.Parameters.AddWithValue("purpose", KeyPurpose.Tenant.ToDatabase());
            if (await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                _privateKeys.Remove(keyId);
                return true;
            }
        }

        if (await FindAsync(keyId, cancellationToken).ConfigureAwait(false) is { } other)
        {
            throw new InvalidOperationException(
                $"Key '{keyId}' is a {other.Purpose} key of region '{other.Region}'; only tenant keys can be deleted.");
        }

        return false;
    }

    public async Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var row = await FindAsync(keyId, cancellationToken).ConfigureAwait(false);
        return row?.Thumbprint ?? throw new VaultKeyNotFoundException(keyId);
    }

    public async Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        await _schema.EnsureCreatedAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM {_schema.Table} WHERE key_id = @key_id)");
        command.Parameters.AddWithValue("key_id", keyId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The tenant rows with an owner, oldest first; rows of seal format 1 (no owner) are left out.</summary>
    public async IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await _schema.EnsureCreatedAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            SELECT key_id, tenant_id, region, created_at FROM {_schema.Table}
            WHERE purpose = @purpose AND tenant_id IS NOT NULL AND region IS NOT NULL
            ORDER BY created_at, key_id
            """);
        command.Parameters.AddWithValue("purpose", KeyPurpose.Tenant.ToDatabase());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new VaultTenantKey(
                reader.GetString(0),
                VaultKeyOwner.Tenant(reader.GetString(1), reader.GetString(2)),
                reader.GetFieldValue<DateTimeOffset>(3));
        }
    }

    public async Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        var row = await GetOrCreateRegionKeyAsync(KeyPurpose.KeyExchange, _regions.Require(region), cancellationToken)
            .ConfigureAwait(false);
        return new KeyExchangeKeyInfo(row.KeyId, row.Region!, PemEncoding.WriteString("PUBLIC KEY", row.PublicKey));
    }

    public async Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default)
    {
        var row = await GetOrCreateRegionKeyAsync(KeyPurpose.Platform, _regions.Require(region), cancellationToken)
            .ConfigureAwait(false);
        return row.ToInfo();
    }

    private async Task<KeyFileResult<LoadedKey>> ReadByokAsync(byte[] byokFile, string region, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(byokFile);
        var row = _regions.IsConfigured(region)
            ? await FindRegionKeyAsync(KeyPurpose.KeyExchange, region, cancellationToken).ConfigureAwait(false)
            : null;
        if (row is null)
        {
            return KeyFileReader.NoKeyExchangeKey(region);
        }

        using var keyExchangeKey = new KeyExchangeKey(row.KeyId, ImportPrivateKey(row));
        return KeyFileReader.ReadByok(byokFile, keyExchangeKey);
    }

    /// <summary>
    /// Get, else create: a fresh key is generated outside any lock and inserted with ON CONFLICT DO NOTHING; every
    /// racer then reads the one row that won, so all callers get the same key.
    /// </summary>
    private async Task<StoredKey> GetOrCreateRegionKeyAsync(KeyPurpose purpose, string region, CancellationToken cancellationToken)
    {
        if (await FindRegionKeyAsync(purpose, region, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        var (name, bits, owner) = purpose == KeyPurpose.KeyExchange
            ? ($"key-exchange key {region}", KeyExchangeKeySizeBits, VaultKeyOwner.KeyExchange(region))
            : ($"platform key {region}", DataKeyWrappingKeySizeBits, VaultKeyOwner.Platform(region));
        using (var rsa = RSA.Create(bits))
        {
            await InsertAsync(Seal(owner, name, rsa), cancellationToken).ConfigureAwait(false);
        }

        return await FindRegionKeyAsync(purpose, region, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The {purpose} key of region '{region}' was not stored.");
    }


    /// <param name="owner">Already normalized (its region as the vault stores it).</param>
    private StoredKey Seal(VaultKeyOwner owner, string name, RSA privateKey)
    {
        var keyId = NewKeyId(owner.Purpose, owner.Region);
        var publicKey = privateKey.ExportSubjectPublicKeyInfo();
        var unsealed = new StoredKey(
            keyId,
            Guid.NewGuid().ToString("N"),
            owner.Purpose,
            name,
            owner.TenantId,
            owner.Region,
            KeyThumbprint.Of(publicKey),
            publicKey,
            [],
            TruncateToMicroseconds(_time.GetUtcNow()),
            StoredKey.CurrentSealFormat);

        var pkcs8 = privateKey.ExportPkcs8PrivateKey();
        try
        {
            return unsealed with { SealedPrivateKey = _masterKey.Seal(pkcs8, unsealed.SealBinding) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private byte[] OpenPrivateKey(StoredKey row)
    {
        if (!string.Equals(KeyThumbprint.Of(row.PublicKey), row.Thumbprint, StringComparison.Ordinal))
        {
            throw new CryptographicException($"Key '{row.KeyId}' failed its integrity check: its public key was altered.");
        }

        return _masterKey.Open(row.SealedPrivateKey, row.SealBinding);
    }

    private RSA ImportPrivateKey(StoredKey row)
    {
        var pkcs8 = OpenPrivateKey(row);
        try
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return rsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// The row a wrap or unwrap may use: it exists, it wraps data keys, and it is the key the caller expects (owner and
    /// thumbprint). Checked before the private key is touched, so a refused call opens nothing.
    /// </summary>
    private async Task<StoredKey> FindDataKeyWrappingKeyAsync(VaultKeyReference expected, CancellationToken cancellationToken)
    {
        var keyId = expected.KeyId;
        var row = await FindAsync(keyId, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            // Deleted, maybe by another instance: drop what this one may still hold of it.
            _privateKeys.Remove(keyId);
            throw new VaultKeyNotFoundException(keyId);
        }

        if (row.Purpose == KeyPurpose.KeyExchange)
        {
            throw new InvalidOperationException($"Key '{keyId}' is a key-exchange key: it only unwraps .byok files.");
        }

        if (row.Owner is not { } owner)
        {
            throw new VaultKeyOwnershipException(expected,
                "it was stored before the vault recorded owners and has not been bound to one.");
        }

        if (owner != expected.Owner)
        {
            throw new VaultKeyOwnershipException(expected, "it belongs to another owner.");
        }

        return string.Equals(row.Thumbprint, expected.Thumbprint, StringComparison.Ordinal)
            ? row
            : throw new VaultKeyOwnershipException(expected, $"its thumbprint is {row.Thumbprint}.");
    }

    private async Task<StoredKey?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        await _schema.EnsureCreatedAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM {_schema.Table} WHERE key_id = @key_id");
        command.Parameters.AddWithValue("key_id", keyId);
        return await ReadSingleAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StoredKey?> FindRegionKeyAsync(KeyPurpose purpose, string region, CancellationToken cancellationToken)
    {
        await _schema.EnsureCreatedAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand(
            $"SELECT {Columns} FROM {_schema.Table} WHERE purpose = @purpose AND region = @region");
        command.Parameters.AddWithValue("purpose", purpose.ToDatabase());
        command.Parameters.AddWithValue("region", region);
        return await ReadSingleAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts the row; a second platform or key-exchange key for the same region is silently not inserted.</summary>
    private async Task InsertAsync(StoredKey row, CancellationToken cancellationToken)
    {
        await _schema.EnsureCreatedAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_schema.Table} ({Columns})
            VALUES (@key_id, @version, @purpose, @name, @tenant_id, @region, @thumbprint, @public_key, @sealed_private_key,
                    @created_at, @seal_format)
            ON CONFLICT (purpose, region) WHERE purpose <> 'tenant' DO NOTHING
            """);
        command.Parameters.AddWithValue("key_id", row.KeyId);
        command.Parameters.AddWithValue("version", row.Version);
        command.Parameters.AddWithValue("purpose", row.Purpose.ToDatabase());
        command.Parameters.AddWithValue("name", row.Name);
        command.Parameters.AddWithValue("tenant_id", (object?)row.TenantId ?? DBNull.Value);
        command.Parameters.AddWithValue("region", (object?)row.Region ?? DBNull.Value);
        command.Parameters.AddWithValue("thumbprint", row.Thumbprint);
        command.Parameters.AddWithValue("public_key", row.PublicKey);
        command.Parameters.AddWithValue("sealed_private_key", row.SealedPrivateKey);
        command.Parameters.AddWithValue("created_at", row.CreatedAt);
        command.Parameters.AddWithValue("seal_format", row.SealFormat);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<StoredKey?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new StoredKey(
            reader.GetString(0),
            reader.GetString(1),
            KeyPurposeNames.FromDatabase(reader.GetString(2)),
            reader.GetString(3),
            await reader.IsDBNullAsync(4, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(4),
            await reader.IsDBNullAsync(5, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(5),
            reader.GetString(6),
            reader.GetFieldValue<byte[]>(7),
            reader.GetFieldValue<byte[]>(8),
            reader.GetFieldValue<DateTimeOffset>(9),
            reader.GetInt16(10));
    }

    private static string NewKeyId(KeyPurpose purpose, string? region)
    {
        var unique = Guid.CreateVersion7().ToString("N");
        return purpose switch
        {
            KeyPurpose.Tenant => $"key-{unique}",
            KeyPurpose.Platform => $"platform-{region}-{unique}",
            KeyPurpose.KeyExchange => $"kek-{region}-{unique}",
            _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
        };
    }

    /// <summary>PostgreSQL keeps microseconds; the info returned now must equal the info read back later.</summary>
    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    public ValueTask DisposeAsync()
    {
        _privateKeys.Dispose();
        _masterKey.Dispose();
        return _dataSource.DisposeAsync();
    }

    public void Dispose()
    {
        _privateKeys.Dispose();
        _masterKey.Dispose();
        _dataSource.Dispose();
    }
}
