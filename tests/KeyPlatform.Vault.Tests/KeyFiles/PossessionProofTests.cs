using System.Security.Cryptography;
using KeyPlatform.Testing;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.KeyFiles;

/// <summary>
/// Proof of possession (K2, L1, U1): the uploaded private key signs a fresh challenge and the public key beside it
/// verifies the signature. A private key that does not belong to its public key, a replayed or re-purposed signature,
/// or a vault that answers with another key's signature proves nothing.
/// </summary>
public sealed class PossessionProofTests(VaultDatabase database) : IClassFixture<VaultDatabase>
{
    private const string ByokRegion = "northeurope";

    [Fact, Trait("Rule", "K2"), Trait("Rule", "L1"), Trait("Rule", "U1")]
    public void A_key_in_memory_proves_its_own_thumbprint_K2_L1_U1()
    {
        using var key = TestKeys.Rsa2048();

        var proved = PossessionProof.Prove(key, PossessionProof.LockPurpose);

        proved.IsRefused.ShouldBeFalse(proved.Refusal?.Reason);
        proved.Value.ShouldBe(KeyThumbprint.Of(key));
    }

    [Fact, Trait("Rule", "K2"), Trait("Rule", "L1"), Trait("Rule", "U1")]
    public void A_signature_by_private_fields_that_are_not_the_public_keys_is_refused_K2_L1_U1()
    {
        using var real = TestKeys.Rsa2048();
        using var madeUp = RSA.Create(2048);
        var challenge = PossessionChallenge.New(PossessionProof.UnlockPurpose);
        var signedByOther = PossessionProof.Sign(madeUp, challenge).Value;

        var forged = PossessionProof.Verify(challenge, signedByOther with { SubjectPublicKeyInfo = real.ExportSubjectPublicKeyInfo() });

        forged.IsRefused.ShouldBeTrue();
        forged.Refusal!.Rule.ShouldBe("K2");
        forged.Refusal.Reason.ShouldContain("does not match its public key");
    }

    [Fact, Trait("Rule", "L1"), Trait("Rule", "U1")]
    public void A_signature_for_another_challenge_or_purpose_proves_nothing_L1_U1()
    {
        using var key = TestKeys.Rsa2048();
        var lockChallenge = PossessionChallenge.New(PossessionProof.LockPurpose);
        var answer = PossessionProof.Sign(key, lockChallenge).Value;

        PossessionProof.Verify(lockChallenge, answer).IsRefused.ShouldBeFalse();
        PossessionProof.Verify(PossessionChallenge.New(PossessionProof.LockPurpose), answer).IsRefused.ShouldBeTrue();
        PossessionProof.Verify(PossessionChallenge.New(PossessionProof.UnlockPurpose), answer).IsRefused.ShouldBeTrue();
        PossessionProof.Verify(lockChallenge, answer with { Signature = new byte[answer.Signature.Length] }).IsRefused.ShouldBeTrue();
        PossessionProof.Verify(lockChallenge, answer with { SubjectPublicKeyInfo = [1, 2, 3] }).IsRefused.ShouldBeTrue();
    }

    [Theory, Trait("Rule", "K2")]
    [InlineData(ForgedKeys.Forgery.ChangedPrivateExponent)]
    [InlineData(ForgedKeys.Forgery.AnotherKeysPrivateFields)]
    public void A_byok_whose_private_fields_are_made_up_is_refused_as_not_matching_its_public_key_K2(ForgedKeys.Forgery forgery)
    {
        using var kek = TestKeys.KeyExchangeKey();
        using var real = TestKeys.Rsa2048();
        var byok = ByokFile.Create(ForgedKeys.Pkcs8WithMadeUpPrivateFields(real, forgery), kek.PrivateKey, kek.Kid);

        var read = KeyFileReader.ReadByok(byok, kek);

        read.IsRefused.ShouldBeTrue();
        read.Refusal!.Rule.ShouldBe("K2");
        read.Refusal.Reason.ShouldContain("does not match its public key");
    }

    [Fact, Trait("Rule", "K2"), Trait("Rule", "L1")]
    public async Task The_vault_signs_the_challenge_with_the_key_inside_a_byok_and_stores_nothing_K2_L1()
    {
        var vault = new ResilientKeyVault(database.Vault);
        var kek = await vault.GetOrCreateKeyExchangeKeyAsync(ByokRegion);
        using var kekPublic = TestKeys.FromPem(kek.PublicKeyPem);
        using var key = TestKeys.Rsa2048();
        var byok = ByokFile.Create(key.ExportPkcs8PrivateKey(), kekPublic, kek.Kid);

        var proved = await PossessionProof.ProveByokAsync(vault, byok, ByokRegion, PossessionProof.LockPurpose, CancellationToken.None);
        var forged = await PossessionProof.ProveByokAsync(vault,
            ByokFile.Create(ForgedKeys.Pkcs8WithMadeUpPrivateFields(key), kekPublic, kek.Kid), ByokRegion, PossessionProof.LockPurpose,
            CancellationToken.None);

        proved.Value.ShouldBe(KeyThumbprint.Of(key));
        forged.IsRefused.ShouldBeTrue();
        forged.Refusal!.Reason.ShouldContain("does not match its public key");
        var notProved = await vault.ImportByokAsync(new VaultKeyName("swapped"), VaultKeyOwner.Tenant("contoso", ByokRegion),
            byok, provedThumbprint: KeyThumbprint.Of(kekPublic));
        notProved.Refusal!.Reason.ShouldContain("possession was proved");
    }

    [Fact, Trait("Rule", "K2"), Trait("Rule", "U1")]
    public async Task A_vault_that_answers_with_another_keys_signature_proves_nothing_K2_U1()
    {
        using var real = TestKeys.Rsa2048();
        using var madeUp = RSA.Create(2048);

        var proved = await PossessionProof.ProveByokAsync(new ForgingVault(real, madeUp), [1], ByokRegion, PossessionProof.UnlockPurpose,
            CancellationToken.None);

        proved.IsRefused.ShouldBeTrue();
        proved.Refusal!.Reason.ShouldContain("does not match its public key");
    }

    /// <summary>A vault adapter that does not check a key's consistency (as an HSM's object import need not): it answers
    /// with the file's public key and a signature made by private fields that are not that key's.</summary>
    private sealed class ForgingVault(RSA publicKey, RSA signer) : IKeyVault
    {
        public Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(byte[] byokFile, string region, PossessionChallenge challenge,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(KeyFileResult<PossessionSignature>.Accepted(new PossessionSignature(
                publicKey.ExportSubjectPublicKeyInfo(), signer.SignData(challenge.ToBeSigned(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss))));

        public Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, RSA privateKey, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, VaultKeyOwner owner, byte[] byokFile, string provedThumbprint,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<GeneratedVaultKey> GenerateAsync(VaultKeyName name, VaultKeyOwner owner, string pfxPassword,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
            CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string> GetThumbprintAsync(string keyId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> ExistsAsync(string keyId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<VaultTenantKey> ListTenantKeysAsync(CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<KeyExchangeKeyInfo> GetOrCreateKeyExchangeKeyAsync(string region, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
