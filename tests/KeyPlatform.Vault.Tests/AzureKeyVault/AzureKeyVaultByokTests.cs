using System.Security.Cryptography;
using KeyPlatform.Testing;
using KeyPlatform.Vault.AzureKeyVault;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary>One contract server and one 4096-bit key-exchange key (seconds to make) for the class.</summary>
public sealed class ByokVaultFixture : IAsyncLifetime
{
    public const string Region = "northeurope";

    public KeyVaultContractServer Server { get; private set; } = null!;

    public AzureKeyVaultAdapter Vault { get; private set; } = null!;

    public KeyExchangeKeyInfo Kek { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KeyVaultContractServer.StartAsync();
        Vault = new AzureKeyVaultAdapter(AzureKeyVaultTestOptions.For(Server, new ContractCredential()));
        Kek = await Vault.GetOrCreateKeyExchangeKeyAsync(Region);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// .byok files on Azure Key Vault: the file goes to the vault as its BYOK transfer blob; what is refused is destroyed
/// again, and the possession proof's temporary copy is purged (or, with purge protection, left soft-deleted).
/// </summary>
public sealed class AzureKeyVaultByokTests(ByokVaultFixture fixture) : IClassFixture<ByokVaultFixture>
{
    private const string Region = ByokVaultFixture.Region;

    private readonly KeyVaultContractServer _server = fixture.Server;
    private readonly AzureKeyVaultAdapter _vault = fixture.Vault;
    private readonly KeyExchangeKeyInfo _kek = fixture.Kek;

    private byte[] Byok(RSA key)
    {
        using var kekPublic = TestKeys.FromPem(_kek.PublicKeyPem);
        return ByokFile.Create(key.ExportPkcs8PrivateKey(), kekPublic, _kek.Kid);
    }

    [Fact, Trait("Rule", "K4")]
    public async Task The_key_exchange_key_is_an_RSA_HSM_key_that_only_imports_and_its_id_is_the_versioned_kid_K4()
    {
        _kek.Kid.ShouldStartWith($"{_server.VaultUri}keys/kek-{Region}/");
        (await _vault.ExistsAsync(_kek.Kid)).ShouldBeTrue();
        _server.Requests.ShouldContain(request => request.Method == "POST" && request.Path == $"/keys/kek-{Region}/create");
        await Should.ThrowAsync<InvalidOperationException>(() =>
            _vault.WrapAsync(new VaultKeyReference(_kek.Kid, VaultKeyOwner.KeyExchange(Region), "any"), new byte[32]));
    }

    [Fact, Trait("Rule", "K2")]
    public async Task A_byok_whose_key_is_not_the_proved_one_is_refused_and_destroyed_again_K2()
    {
        using var tenantKey = TestKeys.Rsa2048();
        using var other = RSA.Create(2048);
        var before = _server.StoredKeyCount();

        var imported = await _vault.ImportByokAsync(new VaultKeyName("not proved"), VaultKeyOwner.Tenant("contoso", Region),
            Byok(tenantKey), KeyThumbprint.Of(other));

        imported.IsRefused.ShouldBeTrue();
        imported.Refusal!.Rule.ShouldBe("K2");
        imported.Refusal.Reason.ShouldContain("whose possession was proved");
        _server.StoredKeyCount().ShouldBe(before);
    }

    [Fact, Trait("Rule", "K2")]
    public async Task A_byok_carrying_an_RSA_1024_key_is_refused_after_the_vault_opened_it_and_destroyed_again_K2()
    {
        using var small = RSA.Create(1024);
        var before = _server.StoredKeyCount();

        var imported = await _vault.ImportByokAsync(new VaultKeyName("too small"), VaultKeyOwner.Tenant("contoso", Region),
            Byok(small), KeyThumbprint.Of(small));

        imported.IsRefused.ShouldBeTrue();
        imported.Refusal!.Reason.ShouldContain("RSA 2048 bits");
        _server.StoredKeyCount().ShouldBe(before);
    }

    [Fact, Trait("Rule", "K2")]
    public async Task A_byok_the_vault_cannot_open_is_a_K2_refusal_and_nothing_is_stored_K2()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var byok = Byok(tenantKey);
        var text = System.Text.Encoding.UTF8.GetString(byok);
        var damaged = System.Text.Encoding.UTF8.GetBytes(text.Replace("\"ciphertext\":\"", "\"ciphertext\":\"AAAA", StringComparison.Ordinal));
        var before = _server.StoredKeyCount();

        var signed = await _vault.SignByokChallengeAsync(damaged, Region, PossessionChallenge.New(PossessionProof.ImportPurpose));

        signed.IsRefused.ShouldBeTrue();
        signed.Refusal!.Reason.ShouldContain("could not open the .byok file");
        _server.StoredKeyCount().ShouldBe(before);
    }

    [Fact, Trait("Rule", "K2")]
    public async Task The_possession_proof_signs_inside_the_vault_and_purges_its_temporary_copy_K2()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var before = _server.StoredKeyCount();
        var requestsBefore = _server.Requests.Count;

        var proved = await PossessionProof.ProveByokAsync(_vault, Byok(tenantKey), Region, PossessionProof.LockPurpose, CancellationToken.None);

        proved.Value.ShouldBe(KeyThumbprint.Of(tenantKey));
        _server.StoredKeyCount().ShouldBe(before);
        var requests = _server.Requests.Skip(requestsBefore).ToArray();
        requests.ShouldContain(request => request.Path.StartsWith("/keys/proof-") && request.Path.EndsWith("/sign"));
        requests.ShouldContain(request => request.Method == "DELETE" && request.Path.StartsWith("/deletedkeys/proof-") && request.Status == 204);
    }

    [Fact, Trait("Rule", "K2")]
    public async Task With_purge_protection_the_proofs_copy_stays_soft_deleted_and_can_only_sign_K2()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var before = _server.StoredKeyCount();
        var requestsBefore = _server.Requests.Count;

        _server.PurgeProtection = true;
        KeyFileResult<string> proved;
        try
        {
            proved = await PossessionProof.ProveByokAsync(_vault, Byok(tenantKey), Region, PossessionProof.LockPurpose, CancellationToken.None);
        }
        finally
        {
            _server.PurgeProtection = false;
        }

        proved.IsRefused.ShouldBeFalse();
        _server.StoredKeyCount().ShouldBe(before + 1);
        var proofKey = _server.Requests.Skip(requestsBefore).First(request => request.Method == "PUT" && request.Path.StartsWith("/keys/proof-")).Path["/keys/".Length..];
        _server.IsSoftDeleted(proofKey).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "L1")]
    public async Task A_proof_whose_temporary_copy_cannot_be_deleted_still_answers_and_the_failure_is_logged_L1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(logs));
        var vault = new AzureKeyVaultAdapter(AzureKeyVaultTestOptions.For(_server, new ContractCredential()), null,
            factory.CreateLogger<AzureKeyVaultAdapter>());

        _server.ForbiddenMethods.Add("DELETE");
        KeyFileResult<string> proved;
        try
        {
            proved = await PossessionProof.ProveByokAsync(vault, Byok(tenantKey), Region, PossessionProof.UnlockPurpose, CancellationToken.None);
        }
        finally
        {
            _server.ForbiddenMethods.Remove("DELETE");
        }

        proved.Value.ShouldBe(KeyThumbprint.Of(tenantKey));
        logs.Lines.ShouldContain(line => line.Contains("could not be deleted and purged") && line.Contains("403"));
    }
}
