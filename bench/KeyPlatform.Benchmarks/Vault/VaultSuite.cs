using System.Security.Cryptography;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Benchmarks.Vault;

/// <summary>
/// KeyService: wrap and unwrap of a 32-byte data key through the vault port, as <c>AddKeyVault</c> registers it
/// (<c>ResilientKeyVault</c> over <c>LocalKeyVault</c> on PostgreSQL), beside raw .NET RSA-2048 OAEP-SHA256 on an
/// in-memory key. With the SoftHSM token of <c>scripts/infra.sh</c> in the environment (<c>KP_HSM_*</c>), also unwrap through
/// the PKCS#11 vault (<c>Vault:Provider = Pkcs11</c>) beside raw <c>C_Decrypt</c> on the same token object. Each figure is
/// the median of <c>rounds</c> short windows, subject and baseline alternating.
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
    private ServiceProvider? pkcs11Provider;
    private IKeyVault? pkcs11Vault;
    private VaultKeyReference pkcs11Key = null!;
    private WrappedKey pkcs11Wrapped = null!;
    private IPkcs11Library? rawLibrary;
    private ISession[] rawSessions = [];
    private IObjectHandle rawHandle = null!;
    private IObjectHandle rawPublicHandle = null!;
    private IMechanism rawOaep = null!;
    private Pkcs11InteropFactories rawFactories = null!;
    private PrivateSoftHsmToken? privateToken;
    private byte[] fillerKeyParts = [];
    private RSAParameters fillerKey;
    private VaultKeyReference rewrapOld = null!;
    private VaultKeyReference rewrapNew = null!;
    private IObjectHandle rawRewrapOld = null!;
    private IObjectHandle rawRewrapNewPublic = null!;
    private WrappedKey[] environments = [];

    public string Name => "vault";

    public string Title => "KeyService: vault wrap and unwrap";

    public IReadOnlyList<Row> Rows => _rows ??=
    [
        new("vault wrap, 1 caller", "ops/s", "vault.wrap.1", "raw RSA encrypt, 1 thread", "raw.encrypt.1"),
        new("vault wrap, 2 callers", "ops/s", "vault.wrap.2", "raw RSA encrypt, 2 threads", "raw.encrypt.2"),
        new("vault unwrap, 1 caller", "ops/s", "vault.unwrap.1", "raw RSA decrypt, 1 thread", "raw.decrypt.1"),
        new("vault unwrap, 2 callers, one key", "ops/s", "vault.unwrap.2", "raw RSA decrypt, 2 threads", "raw.decrypt.2"),
        new("vault unwrap, 2 callers, two keys", "ops/s", "vault.unwrap.2keys", "raw RSA decrypt, 2 threads", "raw.decrypt.2"),
        new("vault key-row read only (GetThumbprint), 1 caller", "ops/s", "vault.read.1", "vault wrap, 1 caller", "vault.wrap.1"),
        new("PKCS#11 vault wrap (SoftHSM), 1 caller", "ops/s", "pkcs11.wrap.1", "raw C_Encrypt, 1 session", "raw.c_encrypt.1"),
        new("PKCS#11 vault wrap (SoftHSM), 2 callers", "ops/s", "pkcs11.wrap.2", "raw C_Encrypt, 2 sessions", "raw.c_encrypt.2"),
        new("PKCS#11 vault unwrap (SoftHSM), 1 caller", "ops/s", "pkcs11.unwrap.1", "raw C_Decrypt, 1 session", "raw.c_decrypt.1"),
        new("PKCS#11 vault unwrap (SoftHSM), 2 callers", "ops/s", "pkcs11.unwrap.2", "raw C_Decrypt, 2 sessions", "raw.c_decrypt.2"),
        new("raw C_FindObjects by label + C_Decrypt (the lookup each call made before decision 0018), 1 session", "ops/s",
            "raw.find_decrypt.1", "raw C_Decrypt, 1 session", "raw.c_decrypt.1"),
        new($"PKCS#11 vault wrap, 1 caller, {Many} more keys on the token", "ops/s", "many.pkcs11.wrap.1", "raw C_Encrypt, 1 session", "many.raw.c_encrypt.1"),
        new($"PKCS#11 vault wrap, 2 callers, {Many} more keys", "ops/s", "many.pkcs11.wrap.2", "raw C_Encrypt, 2 sessions", "many.raw.c_encrypt.2"),
        new($"PKCS#11 vault unwrap, 1 caller, {Many} more keys", "ops/s", "many.pkcs11.unwrap.1", "raw C_Decrypt, 1 session", "many.raw.c_decrypt.1"),
        new($"PKCS#11 vault unwrap, 2 callers, {Many} more keys", "ops/s", "many.pkcs11.unwrap.2", "raw C_Decrypt, 2 sessions", "many.raw.c_decrypt.2"),
        new($"raw C_FindObjects by label + C_Decrypt, 1 session, {Many} more keys", "ops/s", "many.raw.find_decrypt.1",
            "raw C_Decrypt, 1 session", "many.raw.c_decrypt.1"),
        new($"PKCS#11 rewrap of {Rewraps} environments (port unwrap old + wrap new), 2 callers, {Many} more keys", "env/s",
            "rewrap.pkcs11.2", "raw C_Decrypt + C_Encrypt, 2 sessions", "rewrap.raw.2"),
        new("PKCS#11 rewrap through the port, as above", "env/s", "rewrap.pkcs11.2", "raw C_Decrypt alone, 2 sessions", "rewrap.raw_decrypt.2"),
    ];

    private IReadOnlyList<Row>? _rows;

    private string Many => options.HsmKeysOnToken.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    private string Rewraps => options.RewrapCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    public IEnumerable<string> Notes =>
    [
        $"Each figure: median of {options.VaultRounds} window(s) of {options.VaultWindow.TotalMilliseconds:0} ms " +
        $"(after {options.VaultWarmUp.TotalMilliseconds:0} ms warm-up), vault and raw alternating. Raw threads use one RSA " +
        "object each (the same key); vault callers share one key unless stated. Data key: 32 random bytes. The last row " +
        "divides a row read by a wrap: the share of a wrap that is the database.",
        pkcs11Vault is null
            ? "PKCS#11 rows not measured: no SoftHSM token in the environment (scripts/infra.sh up, then eval \"$(scripts/infra.sh env)\")."
            : "PKCS#11 rows: IKeyVault with Vault:Provider = Pkcs11 (resilient over Pkcs11KeyVault) on the SoftHSM token, " +
              "RSA-OAEP-SHA1 (all SoftHSM does), on a private SoftHSM token made for the run (softhsm2-util --init-token in a " +
              "temporary directory: the shared token stays untouched); raw = C_Decrypt / C_Encrypt through Pkcs11Interop on the " +
              "same key, one session per thread, handle held. The adapter keeps each key's handle per connection (decision " +
              "0018): an unwrap is a C_Decrypt on it, a wrap one C_GetAttributeValue of the label in one token call (the object still exists) and a " +
              ".NET RSA encrypt with the public key read once. \"More keys\": that many other RSA-2048 private-key objects are " +
              "created on the token for the rows that say so (and destroyed after them, every run). Rewrap: every environment's " +
              "data key, wrapped under the old key beforehand, is unwrapped and wrapped under the new key through the port, two " +
              "callers taking the next environment; raw: the same with C_Decrypt on the old key's handle and C_Encrypt on a " +
              "public-key session object of the new one.",
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

        using var check = await vault.UnwrapAsync(keyId, rawCiphertext, WrappingAlgorithm.RsaOaep256, cancellationToken);
        if (!check.PlaintextKey.AsSpan().SequenceEqual(dataKey))
            throw new InvalidOperationException("The vault's key and the raw key differ.");

        if (Environment.GetEnvironmentVariable("KP_HSM_TOKEN_LABEL") is { Length: > 0 })
        {
            privateToken = PrivateSoftHsmToken.Create();
            await SetUpPkcs11Async(key, second, cancellationToken);
        }
    }

    private async Task SetUpPkcs11Async(RSA key, RSA second, CancellationToken cancellationToken)
    {
        var library = Environment.GetEnvironmentVariable("KP_HSM_LIBRARY") ?? "/usr/lib/softhsm/libsofthsm2.so";
        const string label = PrivateSoftHsmToken.Label;
        var pin = privateToken!.Pin;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vault:Provider"] = "Pkcs11",
            ["Vault:Pkcs11:Library"] = library,
            ["Vault:Pkcs11:TokenLabel"] = label,
            ["Vault:Pkcs11:Pin"] = pin,
        }).Build();
        pkcs11Provider = new ServiceCollection().AddLogging().AddKeyVault(configuration).BuildServiceProvider();
        pkcs11Vault = pkcs11Provider.GetRequiredService<IKeyVault>();
        pkcs11Key = (await pkcs11Vault.ImportAsync(new VaultKeyName("bench key"), BenchOwner, key, cancellationToken)).Reference;
        pkcs11Wrapped = await pkcs11Vault.WrapAsync(pkcs11Key, dataKey, cancellationToken);

        // The baseline: the same token object, straight through Pkcs11Interop (the library is initialised once per process).
        var factories = rawFactories = new Pkcs11InteropFactories();
        rawLibrary = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, library, AppType.MultiThreaded);
        var slot = rawLibrary.GetSlotList(SlotsType.WithTokenPresent).First(s => s.GetTokenInfo().Label.Trim() == label);
        rawSessions = [slot.OpenSession(SessionType.ReadWrite), slot.OpenSession(SessionType.ReadWrite)];
        try
        {
            rawSessions[0].Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
        }

        rawHandle = rawSessions[0].FindAllObjects(
        [
            factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, pkcs11Key.KeyId),
        ]).Single();
        rawPublicHandle = PublicKeyOf(rawSessions[0], factories, rawHandle);
        rawOaep = factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_OAEP, factories.MechanismParamsFactory.CreateCkRsaPkcsOaepParams(
            ConvertUtils.UInt64FromCKM(CKM.CKM_SHA_1), ConvertUtils.UInt64FromCKG(CKG.CKG_MGF1_SHA1),
            ConvertUtils.UInt64FromUInt32(CKZ.CKZ_DATA_SPECIFIED), null));
        if (!rawSessions[0].Decrypt(rawOaep, rawHandle, pkcs11Wrapped.Ciphertext).AsSpan().SequenceEqual(dataKey))
            throw new InvalidOperationException("The PKCS#11 vault's key and the raw token object differ.");
        if (!rawSessions[0].Decrypt(rawOaep, rawHandle, rawSessions[0].Encrypt(rawOaep, rawPublicHandle, dataKey)).AsSpan().SequenceEqual(dataKey))
            throw new InvalidOperationException("The raw C_Encrypt baseline does not round-trip.");

        fillerKey = key.ExportParameters(includePrivateParameters: true);
        fillerKeyParts = "bench filler"u8.ToArray();
        rewrapOld = (await pkcs11Vault.ImportAsync(new VaultKeyName("rewrap old"), BenchOwner, key, cancellationToken)).Reference;
        rewrapNew = (await pkcs11Vault.ImportAsync(new VaultKeyName("rewrap new"), BenchOwner, second, cancellationToken)).Reference;
        rawRewrapOld = FindPrivate(rewrapOld.KeyId);
        rawRewrapNewPublic = PublicKeyOf(rawSessions[0], factories, FindPrivate(rewrapNew.KeyId));
        environments = new WrappedKey[options.RewrapCount];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < environments.Length; i = Interlocked.Increment(ref next))
                environments[i] = await pkcs11Vault!.WrapAsync(rewrapOld, RandomNumberGenerator.GetBytes(32), cancellationToken);
        }, cancellationToken)));
    }

    private IObjectHandle FindPrivate(string keyId) => rawSessions[0].FindAllObjects(
    [
        rawFactories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
        rawFactories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, keyId),
    ]).Single();

    /// <summary>Other tenants' keys: RSA-2048 private-key objects like the vault's, whose CKA_ID marks them as the bench's.</summary>
    private void CreateFillerKeys(int count)
    {
        var a = rawFactories.ObjectAttributeFactory;
        var next = -1;
        Parallel.For(0, 2, caller =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                rawSessions[caller].CreateObject(
                [
                    a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA), a.Create(CKA.CKA_TOKEN, true),
                    a.Create(CKA.CKA_PRIVATE, true), a.Create(CKA.CKA_SENSITIVE, true), a.Create(CKA.CKA_EXTRACTABLE, false),
                    a.Create(CKA.CKA_DECRYPT, true), a.Create(CKA.CKA_LABEL, $"key-filler-{i:D6}"), a.Create(CKA.CKA_ID, fillerKeyParts),
                    a.Create(CKA.CKA_MODULUS, fillerKey.Modulus!), a.Create(CKA.CKA_PUBLIC_EXPONENT, fillerKey.Exponent!),
                    a.Create(CKA.CKA_PRIVATE_EXPONENT, fillerKey.D!), a.Create(CKA.CKA_PRIME_1, fillerKey.P!),
                    a.Create(CKA.CKA_PRIME_2, fillerKey.Q!), a.Create(CKA.CKA_EXPONENT_1, fillerKey.DP!),
                    a.Create(CKA.CKA_EXPONENT_2, fillerKey.DQ!), a.Create(CKA.CKA_COEFFICIENT, fillerKey.InverseQ!),
                ]);
            }
        });
    }

    private void DestroyFillerKeys()
    {
        foreach (var handle in rawSessions[0].FindAllObjects([rawFactories.ObjectAttributeFactory.Create(CKA.CKA_ID, fillerKeyParts)]))
            rawSessions[0].DestroyObject(handle);
    }

    /// <summary>The token's public key object of the vault's key (same label), or a session object made from the private
    /// key's modulus and exponent when the adapter keeps none: what a C_Encrypt needs.</summary>
    private static IObjectHandle PublicKeyOf(ISession session, Pkcs11InteropFactories factories, IObjectHandle privateKey)
    {
        var attributes = factories.ObjectAttributeFactory;
        var values = session.GetAttributeValue(privateKey, [CKA.CKA_LABEL, CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
        var existing = session.FindAllObjects(
            [attributes.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), attributes.Create(CKA.CKA_LABEL, values[0].GetValueAsString())]);
        if (existing.Count > 0) return existing[0];
        return session.CreateObject(
        [
            attributes.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), attributes.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
            attributes.Create(CKA.CKA_TOKEN, false), attributes.Create(CKA.CKA_ENCRYPT, true),
            attributes.Create(CKA.CKA_MODULUS, values[1].GetValueAsByteArray()),
            attributes.Create(CKA.CKA_PUBLIC_EXPONENT, values[2].GetValueAsByteArray()),
        ]);
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
        if (pkcs11Vault is not null)
        {
            await PairAsync(m, "raw.c_encrypt.1", RawCEncrypt, "pkcs11.wrap.1", Pkcs11Wrap, 1, cancellationToken);
            await PairAsync(m, "raw.c_encrypt.2", RawCEncrypt, "pkcs11.wrap.2", Pkcs11Wrap, 2, cancellationToken);
            await PairAsync(m, "raw.c_decrypt.1", RawCDecrypt, "pkcs11.unwrap.1", Pkcs11Unwrap, 1, cancellationToken);
            await PairAsync(m, "raw.c_decrypt.2", RawCDecrypt, "pkcs11.unwrap.2", Pkcs11Unwrap, 2, cancellationToken);
            m["raw.find_decrypt.1"] = await MedianRateAsync(RawFindDecrypt, 1, cancellationToken);

            CreateFillerKeys(options.HsmKeysOnToken);
            try
            {
                await PairAsync(m, "many.raw.c_encrypt.1", RawCEncrypt, "many.pkcs11.wrap.1", Pkcs11Wrap, 1, cancellationToken);
                await PairAsync(m, "many.raw.c_encrypt.2", RawCEncrypt, "many.pkcs11.wrap.2", Pkcs11Wrap, 2, cancellationToken);
                await PairAsync(m, "many.raw.c_decrypt.1", RawCDecrypt, "many.pkcs11.unwrap.1", Pkcs11Unwrap, 1, cancellationToken);
                await PairAsync(m, "many.raw.c_decrypt.2", RawCDecrypt, "many.pkcs11.unwrap.2", Pkcs11Unwrap, 2, cancellationToken);
                m["many.raw.find_decrypt.1"] = await MedianRateAsync(RawFindDecrypt, 1, cancellationToken);
                m["rewrap.raw_decrypt.2"] = await RewrapRateAsync((caller, i) =>
                {
                    CryptographicOperations.ZeroMemory(rawSessions[caller].Decrypt(rawOaep, rawRewrapOld, environments[i].Ciphertext));
                    return ValueTask.CompletedTask;
                }, cancellationToken);
                m["rewrap.raw.2"] = await RewrapRateAsync((caller, i) =>
                {
                    var session = rawSessions[caller];
                    var plaintext = session.Decrypt(rawOaep, rawRewrapOld, environments[i].Ciphertext);
                    session.Encrypt(rawOaep, rawRewrapNewPublic, plaintext);
                    CryptographicOperations.ZeroMemory(plaintext);
                    return ValueTask.CompletedTask;
                }, cancellationToken);
                m["rewrap.pkcs11.2"] = await RewrapRateAsync(async (_, i) =>
                {
                    using var unwrapped = await pkcs11Vault!.UnwrapAsync(rewrapOld, environments[i].Ciphertext, environments[i].Algorithm, cancellationToken);
                    await pkcs11Vault!.WrapAsync(rewrapNew, unwrapped.PlaintextKey, cancellationToken);
                }, cancellationToken);
            }
            finally
            {
                DestroyFillerKeys();
            }
        }

        return m;

        ValueTask RawCDecrypt(int caller)
        {
            CryptographicOperations.ZeroMemory(rawSessions[caller].Decrypt(rawOaep, rawHandle, pkcs11Wrapped.Ciphertext));
            return ValueTask.CompletedTask;
        }

        ValueTask RawFindDecrypt(int caller)
        {
            var a = rawFactories.ObjectAttributeFactory;
            var handle = rawSessions[caller].FindAllObjects(
                [a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_LABEL, pkcs11Key.KeyId)])[0];
            CryptographicOperations.ZeroMemory(rawSessions[caller].Decrypt(rawOaep, handle, pkcs11Wrapped.Ciphertext));
            return ValueTask.CompletedTask;
        }

        ValueTask RawCEncrypt(int caller)
        {
            rawSessions[caller].Encrypt(rawOaep, rawPublicHandle, dataKey);
            return ValueTask.CompletedTask;
        }

        async ValueTask Pkcs11Wrap(int caller) => await pkcs11Vault!.WrapAsync(pkcs11Key, dataKey, cancellationToken);

        async ValueTask Pkcs11Unwrap(int caller)
        {
            using var unwrapped = await pkcs11Vault!.UnwrapAsync(pkcs11Key, pkcs11Wrapped.Ciphertext, pkcs11Wrapped.Algorithm, cancellationToken);
        }

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
            using var unwrapped = await vault.UnwrapAsync(keyId, wrapped, WrappingAlgorithm.RsaOaep256, cancellationToken);
        }

        async ValueTask VaultUnwrapTwoKeys(int caller)
        {
            using var unwrapped = caller == 0
                ? await vault.UnwrapAsync(keyId, wrapped, WrappingAlgorithm.RsaOaep256, cancellationToken)
                : await vault.UnwrapAsync(secondKeyId, wrappedBySecond, WrappingAlgorithm.RsaOaep256, cancellationToken);
        }

        async ValueTask VaultRead(int caller) => await vault.GetThumbprintAsync(keyId.KeyId, cancellationToken);
    }

    /// <summary>Every environment once, two callers taking the next one: environments per second.</summary>
    private async Task<double> RewrapRateAsync(Func<int, int, ValueTask> rewrap, CancellationToken cancellationToken)
    {
        var next = -1;
        var start = Clock.Now;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(caller => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < environments.Length; i = Interlocked.Increment(ref next))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await rewrap(caller, i);
            }
        }, cancellationToken)));
        return environments.Length / (Clock.Ms(start, Clock.Now) / 1000.0);
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
        if (pkcs11Vault is not null) await pkcs11Vault.DeleteAsync(pkcs11Key.KeyId);
        foreach (var session in rawSessions) session.Dispose();
        if (pkcs11Provider is not null) await pkcs11Provider.DisposeAsync();
        rawLibrary?.Dispose();
        privateToken?.Dispose();
        if (broker is not null) await broker.DisposeAsync();
    }
}
