using System.Security.Cryptography;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KeyPlatform.Benchmarks.Vault;

/// <summary>
/// KeyService: wrap and unwrap of a 32-byte data key through the vault port, as <c>AddKeyVault</c> registers it
/// (<c>ResilientKeyVault</c> over <c>LocalKeyVault</c> on PostgreSQL), beside raw .NET RSA-2048 OAEP-SHA256 on an
/// in-memory key. Each figure is the median of <c>rounds</c> short windows, subject and baseline alternating.
/// </summary>
internal sealed class VaultSuite(BenchOptions options) : ISuite
{
    private static readonly RSAEncryptionPadding Padding = RSAEncryptionPadding.OaepSHA256;

    private TestBroker? broker;
    private ServiceProvider? provider;
    private IKeyVault vault = null!;
    private static readonly VaultKeyOwner BenchOwner = VaultKeyOwner.Tenant("bench", "benchregion");
    private VaultKeyReference keyId = null!;
    private VaultKeyReference secondKeyId = null!;
    private byte[] wrapped = [];
    private byte[] wrappedBySecond = [];
    private RSA[] rawKeys = [];
    private byte[] rawCiphertext = [];
    private readonly byte[] dataKey = RandomNumberGenerator.GetBytes(32);

    public string Name => "vault";

    public string Title => "KeyService: vault wrap and unwrap";

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("vault wrap, 1 caller", "ops/s", "vault.wrap.1", "raw RSA encrypt, 1 thread", "raw.encrypt.1"),
        new("vault wrap, 2 callers", "ops/s", "vault.wrap.2", "raw RSA encrypt, 2 threads", "raw.encrypt.2"),
        new("vault unwrap, 1 caller", "ops/s", "vault.unwrap.1", "raw RSA decrypt, 1 thread", "raw.decrypt.1"),
        new("vault unwrap, 2 callers, one key", "ops/s", "vault.unwrap.2", "raw RSA decrypt, 2 threads", "raw.decrypt.2"),
        new("vault unwrap, 2 callers, two keys", "ops/s", "vault.unwrap.2keys", "raw RSA decrypt, 2 threads", "raw.decrypt.2"),
        new("vault key-row read only (GetThumbprint), 1 caller", "ops/s", "vault.read.1", "vault wrap, 1 caller", "vault.wrap.1"),
    ];

    public IEnumerable<string> Notes =>
    [
        $"Each figure: median of {options.VaultRounds} window(s) of {options.VaultWindow.TotalMilliseconds:0} ms " +
        $"(after {options.VaultWarmUp.TotalMilliseconds:0} ms warm-up), vault and raw alternating. Raw threads use one RSA " +
        "object each (the same key); vault callers share one key unless stated. Data key: 32 random bytes. The last row " +
        "divides a row read by a wrap: the share of a wrap that is the database.",
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        broker = new TestBroker();
        await broker.InitializeAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = TestInfrastructure.PostgresConnectionString,
            ["Vault:Schema"] = broker.Schema("vault"),
            ["Vault:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }).Build();
        provider = new ServiceCollection().AddLogging().AddKeyVault(configuration).BuildServiceProvider();
        vault = provider.GetRequiredService<IKeyVault>();

        using var key = RSA.Create(2048);
        using var second = RSA.Create(2048);
        keyId = (await vault.ImportAsync(new VaultKeyName("bench key"), BenchOwner, key, cancellationToken)).Reference;
        secondKeyId = (await vault.ImportAsync(new VaultKeyName("bench key 2"), BenchOwner, second, cancellationToken)).Reference;
        wrapped = (await vault.WrapAsync(keyId, dataKey, cancellationToken)).Ciphertext;
        wrappedBySecond = (await vault.WrapAsync(secondKeyId, dataKey, cancellationToken)).Ciphertext;

        var parameters = key.ExportParameters(includePrivateParameters: true);
        rawKeys = [Import(parameters), Import(parameters)];
        rawCiphertext = rawKeys[0].Encrypt(dataKey, Padding);

        using var check = await vault.UnwrapAsync(keyId, rawCiphertext, cancellationToken);
        if (!check.PlaintextKey.AsSpan().SequenceEqual(dataKey))
            throw new InvalidOperationException("The vault's key and the raw key differ.");
    }

    private static RSA Import(RSAParameters parameters)
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(parameters);
        return rsa;
    }

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        var m = new Measurements();
        await PairAsync(m, "raw.encrypt.1", RawEncrypt, "vault.wrap.1", VaultWrap, 1, cancellationToken);
        await PairAsync(m, "raw.encrypt.2", RawEncrypt, "vault.wrap.2", VaultWrap, 2, cancellationToken);
        await PairAsync(m, "raw.decrypt.1", RawDecrypt, "vault.unwrap.1", VaultUnwrap, 1, cancellationToken);
        await PairAsync(m, "raw.decrypt.2", RawDecrypt, "vault.unwrap.2", VaultUnwrap, 2, cancellationToken);
        m["vault.unwrap.2keys"] = await MedianRateAsync(VaultUnwrapTwoKeys, 2, cancellationToken);
        m["vault.read.1"] = await MedianRateAsync(VaultRead, 1, cancellationToken);
        return m;

        ValueTask RawEncrypt(int caller)
        {
            rawKeys[caller].Encrypt(dataKey, Padding);
            return ValueTask.CompletedTask;
        }

        ValueTask RawDecrypt(int caller)
        {
            CryptographicOperations.ZeroMemory(rawKeys[caller].Decrypt(rawCiphertext, Padding));
            return ValueTask.CompletedTask;
        }

        async ValueTask VaultWrap(int caller) => await vault.WrapAsync(keyId, dataKey, cancellationToken);

        async ValueTask VaultUnwrap(int caller)
        {
            using var unwrapped = await vault.UnwrapAsync(keyId, wrapped, cancellationToken);
        }

        async ValueTask VaultUnwrapTwoKeys(int caller)
        {
            using var unwrapped = caller == 0
                ? await vault.UnwrapAsync(keyId, wrapped, cancellationToken)
                : await vault.UnwrapAsync(secondKeyId, wrappedBySecond, cancellationToken);
        }

        async ValueTask VaultRead(int caller) => await vault.GetThumbprintAsync(keyId.KeyId, cancellationToken);
    }

    /// <summary>Baseline and subject alternate, round by round; each gets the median of its rounds.</summary>
    private async Task PairAsync(Measurements m, string baselineKey, Func<int, ValueTask> baseline, string subjectKey,
        Func<int, ValueTask> subject, int callers, CancellationToken cancellationToken)
    {
        var baselineRates = new List<double>();
        var subjectRates = new List<double>();
        for (var round = 0; round < options.VaultRounds; round++)
        {
            baselineRates.Add(await RateAsync(baseline, callers, cancellationToken));
            subjectRates.Add(await RateAsync(subject, callers, cancellationToken));
        }
        m[baselineKey] = Samples.Median(baselineRates);
        m[subjectKey] = Samples.Median(subjectRates);
    }

    private async Task<double> MedianRateAsync(Func<int, ValueTask> operation, int callers, CancellationToken cancellationToken)
    {
        var rates = new List<double>();
        for (var round = 0; round < options.VaultRounds; round++) rates.Add(await RateAsync(operation, callers, cancellationToken));
        return Samples.Median(rates);
    }

    private Task<double> RateAsync(Func<int, ValueTask> operation, int callers, CancellationToken cancellationToken) =>
        Rates.OpsPerSecondAsync(callers, operation, options.VaultWarmUp, options.VaultWindow, options.VaultMaxOps, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var key in rawKeys) key.Dispose();
        if (provider is not null) await provider.DisposeAsync();
        if (broker is not null) await broker.DisposeAsync();
    }
}
