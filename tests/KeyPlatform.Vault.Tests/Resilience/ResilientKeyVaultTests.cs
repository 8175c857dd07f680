using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Resilience;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Polly.Timeout;

namespace KeyPlatform.Vault.Tests.Resilience;

/// <summary>Data keys stay available through passing faults (D1), and real answers are not retried.</summary>
public sealed class ResilientKeyVaultTests
{
    private static readonly VaultResilienceOptions Fast = new()
    {
        MaxRetryAttempts = 3,
        BaseDelay = TimeSpan.Zero,
        AttemptTimeout = TimeSpan.FromSeconds(5),
    };

    [Theory, Trait("Rule", "D1")]
    [MemberData(nameof(TransientFailures))]
    public async Task Transient_failure_is_retried_until_the_vault_answers_D1(Exception failure)
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 2, failure);
        var vault = new ResilientKeyVault(inner, Fast);

        (await vault.ExistsAsync("key-1")).ShouldBeTrue();

        inner.Calls.ShouldBe(3);
    }

    public static TheoryData<Exception> TransientFailures() => new()
    {
        new TimeoutException("slow"),
        new NpgsqlException("connection dropped", new TimeoutException()),
    };

    [Fact, Trait("Rule", "D4")]
    public async Task Missing_key_is_an_answer_and_is_not_retried_D4()
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 10, new VaultKeyNotFoundException("key-gone"));
        var vault = new ResilientKeyVault(inner, Fast);

        await Should.ThrowAsync<VaultKeyNotFoundException>(() => vault.ExistsAsync("key-gone"));

        inner.Calls.ShouldBe(1);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Crypto_failure_and_non_transient_database_error_are_not_retried_D1()
    {
        var crypto = new FlakyVault(10, new CryptographicException("bad padding"));
        var database = new FlakyVault(10, new NpgsqlException("syntax error"));

        await Should.ThrowAsync<CryptographicException>(() => new ResilientKeyVault(crypto, Fast).ExistsAsync("k"));
        await Should.ThrowAsync<NpgsqlException>(() => new ResilientKeyVault(database, Fast).ExistsAsync("k"));

        crypto.Calls.ShouldBe(1);
        database.Calls.ShouldBe(1);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Vault_gives_up_after_the_configured_retries_D1()
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 100, new TimeoutException());

        await Should.ThrowAsync<TimeoutException>(() => new ResilientKeyVault(inner, Fast).ExistsAsync("k"));

        inner.Calls.ShouldBe(Fast.MaxRetryAttempts + 1);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Hanging_attempt_is_cut_by_the_attempt_timeout_and_retried_D1()
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 1, failure: null);
        var options = new VaultResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromMilliseconds(100) };

        (await new ResilientKeyVault(inner, options).ExistsAsync("k")).ShouldBeTrue();

        inner.Calls.ShouldBe(2);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Attempts_that_all_hang_end_in_a_timeout_D1()
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 100, failure: null);
        var options = new VaultResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromMilliseconds(50) };

        await Should.ThrowAsync<TimeoutRejectedException>(() => new ResilientKeyVault(inner, options).ExistsAsync("k"));
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_listing_that_fails_transiently_halfway_is_read_again_from_the_start_and_yields_each_key_once_V1()
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 1, failure: new TimeoutException());
        var options = new VaultResilienceOptions { MaxRetryAttempts = 2, BaseDelay = TimeSpan.Zero };

        var listed = await new ResilientKeyVault(inner, options).ListTenantKeysAsync().ToListAsync();

        listed.ShouldBe(ListedKeys);
        inner.Calls.ShouldBe(2);
    }

    private static readonly VaultTenantKey[] ListedKeys =
    [
        new("key-1", VaultKeyOwner.Tenant("contoso", "westeurope"), DateTimeOffset.UnixEpoch),
        new("key-2", VaultKeyOwner.Tenant("fabrikam", "westeurope"), DateTimeOffset.UnixEpoch),
    ];

    /// <summary>The calls that store a key under a new name or id: what a second attempt would store a second time.</summary>
    public static TheoryData<string> CreatingCalls() => ["import", "byok import", "generate", "byok possession proof"];

    private static Task CallCreating(IKeyVault vault, string call) => call switch
    {
        "import" => vault.ImportAsync(new VaultKeyName("k"), VaultKeyOwner.Tenant("contoso", "westeurope"), null!),
        "byok import" => vault.ImportByokAsync(new VaultKeyName("k"), VaultKeyOwner.Tenant("contoso", "westeurope"), [], "thumbprint"),
        "generate" => vault.GenerateAsync(new VaultKeyName("k"), VaultKeyOwner.Tenant("contoso", "westeurope"), "password"),
        "byok possession proof" => vault.SignByokChallengeAsync([], "westeurope", null!),
        _ => throw new ArgumentOutOfRangeException(nameof(call)),
    };

    [Theory, Trait("Rule", "V2")]
    [MemberData(nameof(CreatingCalls))]
    public async Task A_creating_call_that_timed_out_is_not_retried_so_no_second_copy_of_the_key_is_stored_V2(string call)
    {
        var inner = new FlakyVault(failuresBeforeSuccess: 1, new TimeoutException("slow"));

        await Should.ThrowAsync<TimeoutException>(() => CallCreating(new ResilientKeyVault(inner, Fast), call));

        inner.Calls.ShouldBe(1);
    }

    [Theory, Trait("Rule", "V2")]
    [MemberData(nameof(CreatingCalls))]
    public async Task A_creating_call_cut_by_the_attempt_timeout_fails_and_is_not_attempted_again_V2(string call)
    {
        var time = new FakeTimeProvider();
        var inner = new FlakyVault(failuresBeforeSuccess: 1, failure: null);
        var vault = new ResilientKeyVault(inner, Fast, time);

        var calling = CallCreating(vault, call);
        time.Advance(Fast.AttemptTimeout);

        await Should.ThrowAsync<TimeoutRejectedException>(() => calling);
        inner.Calls.ShouldBe(1);
    }

    [Fact, Trait("Rule", "D1")]
    public async Task An_idempotent_call_cut_by_the_attempt_timeout_is_still_retried_D1()
    {
        var time = new FakeTimeProvider();
        var inner = new FlakyVault(failuresBeforeSuccess: 1, failure: null);
        var vault = new ResilientKeyVault(inner, Fast, time);

        var calling = vault.ExistsAsync("k");
        time.Advance(Fast.AttemptTimeout);

        (await calling).ShouldBeTrue();
        inner.Calls.ShouldBe(2);
    }

    /// <summary>Fails (or hangs, when <c>failure</c> is null) a number of times, then answers.</summary>
    private sealed class FlakyVault(int failuresBeforeSuccess, Exception? failure) : IKeyVault
    {
        private int _calls;

        public int Calls => _calls;

        public async Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default)
        {
            await AttemptAsync(cancellationToken);
            return true;
        }

        /// <summary>The creating calls answer nothing the tests read: they count attempts.</summary>
        public async Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey, CancellationToken cancellationToken = default)
        {
            await AttemptAsync(cancellationToken);
            return null!;
        }

        public async Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint,
            CancellationToken cancellationToken = default)
        {
            await AttemptAsync(cancellationToken);
            return null!;
        }

        public async Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(byte[] byokFile, string region, PossessionChallenge challenge,
            CancellationToken cancellationToken = default)
        {
            await AttemptAsync(cancellationToken);
            return null!;
        }

        public async Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, VaultKeyOwner owner, string pfxPassword,
            CancellationToken cancellationToken = default)
        {
            await AttemptAsync(cancellationToken);
            return null!;
        }

        private async Task AttemptAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) <= failuresBeforeSuccess)
            {
                if (failure is not null)
                {
                    throw failure;
                }

                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
        }

        /// <summary>Yields one key, then fails (or hangs) mid-listing while failures are left; then yields both keys.</summary>
        public async IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            yield return ListedKeys[0];
            if (Interlocked.Increment(ref _calls) <= failuresBeforeSuccess)
            {
                if (failure is not null)
                {
                    throw failure;
                }

                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }

            yield return ListedKeys[1];
        }

        public Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
            CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
