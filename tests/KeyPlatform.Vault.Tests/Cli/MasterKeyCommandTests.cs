using KeyPlatform.Cli;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.Cli;

/// <summary>
/// <c>keyplatform master-key create|wrap</c>: a new master key, or an installation's existing plain one, written only
/// wrapped on the SoftHSM token, in a file the local store then loads (<c>Vault:MasterKeyWrapping=Pkcs11</c>).
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class MasterKeyCommandTests(VaultDatabase database) : IClassFixture<VaultDatabase>, IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly string _label = EnvelopedMasterKey.NewWrappingKeyLabel();

    private sealed record Run(int ExitCode, string Out, string Error);

    /// <summary>The CLI with the services' own variables for the token (the PIN from a file, as in Production).</summary>
    private async Task<Run> RunAsync(params string[] args)
    {
        var token = SoftHsmToken.OptionsFromEnvironment();
        var pinFile = _directory.Write("pin", token.Pin + "\n");
        var variables = new Dictionary<string, string>
        {
            ["Vault__Pkcs11__Library"] = token.Library, ["Vault__Pkcs11__TokenLabel"] = token.TokenLabel, ["Vault__Pkcs11__PinFile"] = pinFile,
        };
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = output, Error = error, HttpClientFactory = _ => throw new InvalidOperationException("no service is called"),
            Variable = name => variables.GetValueOrDefault(name),
        };
        var exitCode = await KeyPlatformCli.RunAsync([.. args, "--wrapping-key", _label], environment);
        return new Run(exitCode, output.ToString(), error.ToString());
    }

    private static MasterKey Load(string path) => MasterKeyLoader.Load(new LocalVaultOptions
    {
        MasterKeyWrapping = MasterKeyWrapping.Pkcs11, MasterKeyFile = path, Pkcs11 = SoftHsmToken.OptionsFromEnvironment(),
    }, developmentKeyAllowed: false);

    [Fact, Trait("Rule", "V2")]
    public async Task Create_writes_a_new_master_key_only_wrapped_and_the_local_store_runs_on_it_V2()
    {
        var path = _directory.PathOf("master.key.wrapped");

        var run = await RunAsync("master-key", "create", "--out", path);

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        run.Out.ShouldContain("Vault__MasterKeyWrapping=Pkcs11");
        WrappedMasterKey.IsWrapped(File.ReadAllText(path)).ShouldBeTrue();
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var vault = database.NewVault(Load(path));
        using var tenantKey = TestKeys.FixtureRsa2048();
        var info = await vault.ImportAsync(new VaultKeyName("under the envelope"), VaultKeyOwner.Tenant("contoso", "westeurope"), tenantKey);
        await using var restarted = database.NewVault(Load(path));
        (await restarted.GetThumbprintAsync(info.KeyId)).ShouldBe(info.Thumbprint);
        var dataKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var wrapped = await vault.WrapAsync(info.Reference, dataKey);
        using var unwrapped = await restarted.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        unwrapped.PlaintextKey.ShouldBe(dataKey);
    }

    [Fact, Trait("Rule", "V2")]
    public async Task Wrap_moves_an_existing_plain_master_key_onto_the_envelope_and_keeps_its_keys_readable_V2()
    {
        var plain = MasterKeyLoader.NewMasterKeyBase64();
        var plainFile = _directory.Write("master.key", plain);
        using var tenantKey = TestKeys.FixtureRsa2048();
        VaultKeyInfo info;
        await using (var before = database.NewVault(MasterKeyLoader.Load(new LocalVaultOptions { MasterKeyFile = plainFile }, false)))
        {
            info = await before.ImportAsync(new VaultKeyName("before the move"), VaultKeyOwner.Tenant("contoso", "westeurope"), tenantKey);
        }

        var wrappedFile = _directory.PathOf("master.key.wrapped");
        var run = await RunAsync("master-key", "wrap", "--from", plainFile, "--out", wrappedFile);

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        run.Out.ShouldContain("destroy the plain file");
        run.Out.ShouldNotContain(plain);
        File.ReadAllText(wrappedFile).ShouldNotContain(plain);
        using var fromPlain = MasterKey.FromBase64(plain, "test");
        using var unwrapped = Load(wrappedFile);
        unwrapped.SameKeyAs(fromPlain).ShouldBeTrue();
        await using var after = database.NewVault(Load(wrappedFile));
        (await after.GetThumbprintAsync(info.KeyId)).ShouldBe(info.Thumbprint);
        var dataKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var wrapped = await after.WrapAsync(info.Reference, dataKey);
        using var back = await after.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        back.PlaintextKey.ShouldBe(dataKey);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task An_existing_output_file_is_never_overwritten_and_a_wrapped_file_is_not_wrapped_again_V1()
    {
        var path = _directory.Write("taken.wrapped", "someone's file");
        var wrappedFile = _directory.PathOf("once.wrapped");
        (await RunAsync("master-key", "create", "--out", wrappedFile)).ExitCode.ShouldBe(ExitCodes.Ok);

        var overwrite = await RunAsync("master-key", "create", "--out", path);
        var twice = await RunAsync("master-key", "wrap", "--from", wrappedFile, "--out", _directory.PathOf("twice.wrapped"));

        overwrite.ExitCode.ShouldBe(ExitCodes.BadInput);
        overwrite.Error.ShouldContain("never overwritten");
        File.ReadAllText(path).ShouldBe("someone's file");
        twice.ExitCode.ShouldBe(ExitCodes.BadInput);
        twice.Error.ShouldContain("wrapped already");
        File.Exists(_directory.PathOf("twice.wrapped")).ShouldBeFalse();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_token_that_cannot_be_used_is_refused_naming_the_setting_and_nothing_is_written_V1()
    {
        var path = _directory.PathOf("never.wrapped");

        var run = await RunAsync("master-key", "create", "--out", path, "--token-label", "no-such-token");

        run.ExitCode.ShouldBe(ExitCodes.Refused);
        run.Error.ShouldContain("no token labelled 'no-such-token'");
        run.Error.ShouldContain("Vault:Pkcs11");
        File.Exists(path).ShouldBeFalse();
    }

    public void Dispose()
    {
        using (var envelope = EnvelopedMasterKey.NewEnvelope())
        {
            envelope.DestroyWrappingKey(_label);
        }

        _directory.Dispose();
    }
}
