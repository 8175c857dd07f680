using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using KeyPlatform.Vault.KeyFiles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace KeyPlatform.Vault.Resilience;

/// <summary>
/// Retries vault calls that failed for a passing reason (a dropped connection, a timeout), with exponential backoff
/// and a timeout per attempt. A missing key, a refused file or a failed decryption is an answer, not a fault: it is
/// never retried.
/// </summary>
/// <remarks>
/// Only idempotent calls are retried: reads, wrap, unwrap, delete and the region keys' get-or-create. A call that creates
/// a key under a new name or id (import, .byok import, generate, and the temporary import of a .byok possession proof)
/// runs once, under the attempt timeout: an attempt that timed out or lost its connection may have stored the key, and a
/// retry would store a second copy of the tenant key that no caller learns of and L4 never deletes (V2, D4).
/// </remarks>
public sealed class ResilientKeyVault : IKeyVault
{
    private readonly IKeyVault _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _once;

    public ResilientKeyVault(IKeyVault inner, VaultResilienceOptions? options = null, TimeProvider? timeProvider = null,
        ILogger<ResilientKeyVault>? logger = null)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        options ??= new VaultResilienceOptions();
        timeProvider ??= TimeProvider.System;
        _pipeline = BuildPipeline(options, timeProvider, logger ?? NullLogger<ResilientKeyVault>.Instance);
        _once = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddTimeout(options.AttemptTimeout).Build();
    }

    public static bool IsTransient(Exception exception) => exception switch
    {
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or TimeoutRejectedException => true,
        VaultUnavailableException => true,
        _ => false,
    };

    /// <summary>Retries (none when <see cref="VaultResilienceOptions.MaxRetryAttempts"/> is 0: a store whose client retries
    /// already) around a timeout per attempt.</summary>
    private static ResiliencePipeline BuildPipeline(VaultResilienceOptions options, TimeProvider timeProvider, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.BaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = arguments =>
                {
                    // The exception type only: messages of lower layers are not ours to vouch for.
                    logger.LogWarning(
                        "Vault call failed transiently ({ExceptionType}); retry {Attempt} in {Delay}.",
                        arguments.Outcome.Exception?.GetType().Name, arguments.AttemptNumber + 1, arguments.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    private async Task<T> Run<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);

    /// <summary>A call that creates a key under a new name or id: one attempt, never retried (see the remarks).</summary>
    private async Task<T> RunOnce<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await _once.ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);

    public Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey,
        CancellationToken cancellationToken = default) =>
        RunOnce(token => _inner.ImportAsync(name, owner, privateKey, token), cancellationToken);

    public Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(
        VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint, CancellationToken cancellationToken = default) =>
        RunOnce(token => _inner.ImportByokAsync(name, owner, byokFile, provedThumbprint, token), cancellationToken);

    public Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(
        byte[] byokFile, string region, PossessionChallenge challenge, CancellationToken cancellationToken = default) =>
        RunOnce(token => _inner.SignByokChallengeAsync(byokFile, region, challenge, token), cancellationToken);

    public Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, VaultKeyOwner owner, string pfxPassword,
        CancellationToken cancellationToken = default) =>
        RunOnce(token => _inner.GenerateAsync(name, owner, pfxPassword, token), cancellationToken);

    /// <summary>A <see cref="VaultKeyOwnershipException"/> is an answer (the key is not the caller's): never retried.</summary>
    public Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default) =>
        Run(token => _inner.WrapAsync(key, plaintextKey, token), cancellationToken);

    public Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
        CancellationToken cancellationToken = default) =>
        Run(token => _inner.UnwrapAsync(key, wrappedKey, algorithm, token), cancellationToken);

    public Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) =>
        Run(token => _inner.DeleteAsync(keyId, token), cancellationToken);

    public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) =>
        Run(token => _inner.GetThumbprintAsync(keyId, token), cancellationToken);

    public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) =>
        Run(token => _inner.ExistsAsync(keyId, token), cancellationToken);

    /// <summary>
    /// The listing is read whole inside the pipeline, so a transient fault restarts it from the first key rather than
    /// yielding a key twice; then it is yielded.
    /// </summary>
    public async IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var keys = await Run(async token => await _inner.ListTenantKeysAsync(token).ToListAsync(token).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        foreach (var key in keys)
        {
            yield return key;
        }
    }

    public Task<VaultKeyState> GetStateAsync(string keyId, CancellationToken cancellationToken = default) =>
        Run(token => _inner.GetStateAsync(keyId, token), cancellationToken);

    public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
        Run(token => _inner.GetOrCreateKeyExchangeKeyAsync(region, token), cancellationToken);

    public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
        Run(token => _inner.GetOrCreatePlatformKeyAsync(region, token), cancellationToken);

    /// <summary>The inner store's: it is the one that wraps.</summary>
    public string PreferredWrappingAlgorithm => _inner.PreferredWrappingAlgorithm;
}
