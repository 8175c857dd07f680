using System.Security.Cryptography;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Vault.Tests.Local;

/// <summary>The unwrap cache stays bounded and lets go of keys (D4); the vault's tests show it never outlives a delete.</summary>
public sealed class PrivateKeyCacheTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly RSA _key = TestKeys.Rsa2048();
    private readonly byte[] _ciphertext;
    private int _imports;

    public PrivateKeyCacheTests()
    {
        _ciphertext = _key.Encrypt(new byte[32], RSAEncryptionPadding.OaepSHA256);
    }

    [Fact, Trait("Rule", "D4")]
    public void Repeated_unwraps_import_the_key_once_D4()
    {
        using var cache = new PrivateKeyCache(capacity: 4, _time);

        for (var i = 0; i < 5; i++)
        {
            Decrypt(cache, Row("key-a")).ShouldBe(new byte[32]);
        }

        _imports.ShouldBe(1);
    }

    [Fact, Trait("Rule", "D4")]
    public void Cache_holds_no_more_keys_than_its_capacity_and_drops_the_least_recently_used_D4()
    {
        using var cache = new PrivateKeyCache(capacity: 2, _time);

        Decrypt(cache, Row("key-a"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Decrypt(cache, Row("key-b"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Decrypt(cache, Row("key-a"));
        Decrypt(cache, Row("key-c"));
        Decrypt(cache, Row("key-a"));

        cache.Count.ShouldBe(2);
        _imports.ShouldBe(3); // a, b, c: "a" stayed because it was used last
    }

    [Fact, Trait("Rule", "D4")]
    public void Idle_keys_are_dropped_without_anyone_asking_D4()
    {
        using var cache = new PrivateKeyCache(capacity: 4, _time);
        Decrypt(cache, Row("key-a"));

        _time.Advance(PrivateKeyCache.IdleLifetime + TimeSpan.FromMinutes(1));

        cache.Count.ShouldBe(0);
    }

    [Fact, Trait("Rule", "D4")]
    public void Removed_key_is_gone_and_a_changed_row_is_imported_again_D4()
    {
        using var cache = new PrivateKeyCache(capacity: 4, _time);
        Decrypt(cache, Row("key-a"));

        cache.Remove("key-a");
        cache.Count.ShouldBe(0);
        Decrypt(cache, Row("key-a") with { Version = "2" });
        Decrypt(cache, Row("key-a") with { Version = "3" });

        _imports.ShouldBe(3);
        cache.Count.ShouldBe(1);
    }

    [Fact, Trait("Rule", "D4")]
    public void Cache_of_size_zero_keeps_nothing_D4()
    {
        using var cache = new PrivateKeyCache(capacity: 0, _time);

        Decrypt(cache, Row("key-a"));
        Decrypt(cache, Row("key-a"));

        cache.Count.ShouldBe(0);
        _imports.ShouldBe(2);
    }

    [Fact, Trait("Rule", "D4")]
    public async Task Concurrent_unwraps_with_evictions_all_succeed_D4()
    {
        using var cache = new PrivateKeyCache(capacity: 1, _time);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            Decrypt(cache, Row(i % 3 == 0 ? "key-a" : "key-b")).ShouldBe(new byte[32]))));
    }

    private byte[] Decrypt(PrivateKeyCache cache, StoredKey row) =>
        cache.Decrypt(row, Import, _ciphertext, RSAEncryptionPadding.OaepSHA256);

    private RSA Import(StoredKey row)
    {
        Interlocked.Increment(ref _imports);
        var copy = RSA.Create();
        copy.ImportParameters(_key.ExportParameters(true));
        return copy;
    }

    private static StoredKey Row(string keyId) =>
        new(keyId, "1", KeyPurpose.Tenant, "name", "tenant", "region", "thumbprint", [], [], DateTimeOffset.UnixEpoch,
            StoredKey.CurrentSealFormat);

    public void Dispose() => _key.Dispose();
}
