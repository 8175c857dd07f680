using System.Security.Cryptography;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace KeyPlatform.EnvironmentEncryption.DataKeys;

/// <summary>
/// D2: plaintext data keys kept in memory so a release does not cost a vault unwrap every time. Bounded in entries
/// (least recently used goes first) and in time (<see cref="EnvironmentRules.DataKeyCacheLifetime"/> after unwrapping);
/// every key leaving it is zeroed. Keys live in pinned arrays, so the GC never leaves copies behind, and callers get
/// copies, so the cache's own bytes are never handed out.
/// </summary>
/// <remarks>
/// E6: <see cref="Evict"/> drops an environment's key the moment it starts locking. A release that read the state
/// before the lock and unwraps after it must not put the key back: every eviction bumps a counter, and a key is only
/// added with a <see cref="Ticket"/> taken before the state was read and still current.
/// </remarks>
public sealed class DataKeyCache : IDisposable
{
    private sealed class Entry(string environmentId, string dataKeyId, byte[] key, DateTimeOffset expiresAt)
    {
        public string EnvironmentId { get; } = environmentId;
        public string DataKeyId { get; } = dataKeyId;
        public byte[] Key { get; } = key;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public LinkedListNode<Entry>? Node { get; set; }
    }

    private readonly object gate = new();
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> recency = new();
    private readonly int capacity;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider time;
    private long evictions;

    public DataKeyCache(EnvironmentRules rules, TimeProvider time)
    {
        capacity = Math.Max(0, rules.DataKeyCacheSize);
        lifetime = rules.DataKeyCacheLifetime;
        this.time = time;
    }

    public int Count
    {
        get
        {
            lock (gate) return entries.Count;
        }
    }

    public bool Contains(string environmentId)
    {
        lock (gate) return entries.ContainsKey(environmentId);
    }

    /// <summary>Take before reading the environment's state; pass to <see cref="TryAdd"/>.</summary>
    public long Ticket()
    {
        lock (gate) return evictions;
    }

    /// <summary>A copy of the cached key of this data key id, or null. The caller zeroes the copy when done.</summary>
    public byte[]? TryGet(string environmentId, string dataKeyId)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(environmentId, out var entry)) return null;
            if (entry.DataKeyId != dataKeyId || entry.ExpiresAt <= time.GetUtcNow())
            {
                Remove(entry);
                return null;
            }
            recency.Remove(entry.Node!);
            recency.AddFirst(entry.Node!);
            return entry.Key.ToArray();
        }
    }

    /// <summary>Keeps a copy of <paramref name="plaintext"/>, unless an eviction happened since <paramref name="ticket"/>.</summary>
    public bool TryAdd(string environmentId, string dataKeyId, ReadOnlySpan<byte> plaintext, long ticket)
    {
        if (capacity == 0) return false;
        lock (gate)
        {
            if (ticket != evictions) return false;
            if (entries.TryGetValue(environmentId, out var existing)) Remove(existing);
            var key = GC.AllocateArray<byte>(plaintext.Length, pinned: true);
            plaintext.CopyTo(key);
            var entry = new Entry(environmentId, dataKeyId, key, time.GetUtcNow() + lifetime);
            entry.Node = recency.AddFirst(entry);
            entries[environmentId] = entry;
            while (entries.Count > capacity) Remove(recency.Last!.Value);
            return true;
        }
    }

    /// <summary>E6, D4: drops (and zeroes) the environment's key now, and stops in-flight releases from re-adding it.</summary>
    public void Evict(string environmentId)
    {
        lock (gate)
        {
            evictions++;
            if (entries.TryGetValue(environmentId, out var entry)) Remove(entry);
        }
    }

    /// <summary>Drops every key past its lifetime. Returns how many.</summary>
    public int Sweep()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var expired = entries.Values.Where(e => e.ExpiresAt <= now).ToList();
            foreach (var entry in expired) Remove(entry);
            return expired.Count;
        }
    }

    /// <summary>For tests: the cache's own buffer of an environment's key (to prove it is zeroed when dropped).</summary>
    internal byte[]? BufferOf(string environmentId)
    {
        lock (gate) return entries.TryGetValue(environmentId, out var entry) ? entry.Key : null;
    }

    private void Remove(Entry entry)
    {
        entries.Remove(entry.EnvironmentId);
        if (entry.Node is not null) recency.Remove(entry.Node);
        CryptographicOperations.ZeroMemory(entry.Key);
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var entry in entries.Values.ToList()) Remove(entry);
        }
    }
}

/// <summary>Drops expired keys from memory even when nobody asks for them.</summary>
public sealed class DataKeyCacheSweeper(DataKeyCache cache) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
        while (await timer.WaitForNextTickAsync(stoppingToken)) cache.Sweep();
    }
}
