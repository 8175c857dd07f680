using System.Security.Cryptography;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// Imported private keys by key id, so that an unwrap skips the PKCS#8 import (~0.9 ms, measured here: more than the
/// RSA decryption itself and the database read together).
/// </summary>
/// <remarks>
/// Safe for D4 because the cache is never the authority: <see cref="LocalKeyVault"/> reads the key's row before every
/// use, so a key deleted by any instance stops unwrapping everywhere at once, and its entry is dropped then. The price
/// is that a deleted key's private part may stay in another process's memory, unusable, until that process touches
/// the key or the entry sits idle for <see cref="IdleLifetime"/>. Bounded by <c>capacity</c> (least recently used
/// entries go first); each entry is used by one thread at a time, since RSA objects are not documented thread-safe.
/// </remarks>
internal sealed class PrivateKeyCache : IDisposable
{
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(5);

    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ITimer _sweeper;

    public PrivateKeyCache(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _time = time;
        _sweeper = time.CreateTimer(_ => RemoveIdle(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public bool Contains(string keyId)
    {
        lock (_gate)
        {
            return _entries.ContainsKey(keyId);
        }
    }

    /// <summary>Decrypts with the row's private key, importing it with <paramref name="import"/> when not cached.</summary>
    public byte[] Decrypt(StoredKey row, Func<StoredKey, RSA> import, ReadOnlySpan<byte> ciphertext, RSAEncryptionPadding padding)
    {
        var entry = _capacity == 0 ? null : GetOrAdd(row, import);
        if (entry is not null)
        {
            lock (entry.Gate)
            {
                if (!entry.Disposed)
                {
                    entry.Touch(_time.GetUtcNow());
                    return entry.Key.Decrypt(ciphertext, padding);
                }
            }
        }

        using var uncached = import(row);
        return uncached.Decrypt(ciphertext, padding);
    }

    public void Remove(string keyId)
    {
        lock (_gate)
        {
            if (_entries.Remove(keyId, out var entry))
            {
                entry.Dispose();
            }
        }
    }

    private Entry GetOrAdd(StoredKey row, Func<StoredKey, RSA> import)
    {
        // The binding names the key id, purpose and public key: a row that changed since it was cached is imported
        // (and integrity-checked) again.
        var binding = $"{row.SealBinding}|{row.Version}";
        lock (_gate)
        {
            if (_entries.TryGetValue(row.KeyId, out var cached) && cached.Binding == binding)
            {
                return cached;
            }
        }

        var imported = new Entry(binding, import(row), _time.GetUtcNow());
        lock (_gate)
        {
            if (_entries.TryGetValue(row.KeyId, out var raced))
            {
                if (raced.Binding == binding)
                {
                    imported.Dispose();
                    return raced;
                }

                _entries.Remove(row.KeyId);
                raced.Dispose();
            }

            while (_entries.Count >= _capacity)
            {
                var leastRecentlyUsed = _entries.MinBy(pair => pair.Value.LastUsed);
                _entries.Remove(leastRecentlyUsed.Key);
                leastRecentlyUsed.Value.Dispose();
            }

            _entries[row.KeyId] = imported;
            return imported;
        }
    }

    internal void RemoveIdle()
    {
        var idleSince = (_time.GetUtcNow() - IdleLifetime).UtcTicks;
        lock (_gate)
        {
            foreach (var (keyId, entry) in _entries.Where(pair => pair.Value.LastUsed <= idleSince).ToList())
            {
                _entries.Remove(keyId);
                entry.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        lock (_gate)
        {
            foreach (var entry in _entries.Values)
            {
                entry.Dispose();
            }

            _entries.Clear();
        }
    }

    private sealed class Entry(string binding, RSA key, DateTimeOffset lastUsed) : IDisposable
    {
        public Lock Gate { get; } = new();

        public string Binding { get; } = binding;

        public RSA Key { get; } = key;

        private long _lastUsedTicks = lastUsed.UtcTicks;

        /// <summary>Read by eviction without the entry's lock, hence kept as atomically readable ticks.</summary>
        public long LastUsed => Interlocked.Read(ref _lastUsedTicks);

        public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastUsedTicks, now.UtcTicks);

        public bool Disposed { get; private set; }

        public void Dispose()
        {
            lock (Gate)
            {
                Disposed = true;
                Key.Dispose();
            }
        }
    }
}
