using System.Security.Cryptography;
using KeyPlatform.Vault.Pkcs11;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Tests.Pkcs11;

/// <summary>
/// Issue 11, bad input: a token that goes away mid-operation gives an error that names the vault, never "key not found"
/// (which would read as destroyed, D4). A full token cannot be played on SoftHSM: its file store reports success on a full
/// disk and leaves a truncated object (decision 0018).
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11FailureTests(SoftHsmToken token) : IClassFixture<SoftHsmToken>
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    /// <summary>
    /// The token goes away under a running vault (the library finalised, and on reconnecting the token is not there): the
    /// unwrap and the wrap fail with an error naming the token, not <see cref="VaultKeyNotFoundException"/>; once the token
    /// is back, the same vault works again with the same key.
    /// </summary>
    [Fact, Trait("Rule", "V1"), Trait("Rule", "D4")]
    public async Task A_token_that_disappears_mid_operation_fails_naming_the_vault_not_as_a_missing_key_and_works_once_back_V1_D4()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var options = SoftHsmToken.OptionsFromEnvironment();
        using var vault = new Pkcs11KeyVault(options);
        var info = await vault.ImportAsync(new VaultKeyName("token goes away"), Contoso, tenantKey);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await vault.WrapAsync(info.Reference, dataKey);
        var label = options.TokenLabel;

        options.TokenLabel = "removed-token";   // what the slot shows after the token was pulled: no token of that label
        FinaliseLibrary();
        var unwrap = await Should.ThrowAsync<VaultUnavailableException>(() => vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm));
        var wrap = await Should.ThrowAsync<VaultUnavailableException>(() => vault.WrapAsync(info.Reference, dataKey));

        unwrap.Message.ShouldContain("no token labelled 'removed-token'");
        wrap.Message.ShouldContain("no token labelled 'removed-token'");
        // An outage, not a refusal: transient (retried) and a 503 at the gateway and the services' HTTP edges.
        unwrap.Store.ShouldContain("removed-token");
        ResilientKeyVault.IsTransient(wrap).ShouldBeTrue();
        options.TokenLabel = label;
        using var unwrapped = await vault.UnwrapAsync(info.Reference, wrapped.Ciphertext, wrapped.Algorithm);
        unwrapped.PlaintextKey.ShouldBe(dataKey);
        (await vault.DeleteAsync(info.KeyId)).ShouldBeTrue();
    }

    /// <summary>C_Initialize then C_Finalize through a library handle of its own: for this process, the token went away.</summary>
    private void FinaliseLibrary()
    {
        var factories = new Pkcs11InteropFactories();
        factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, token.Options.Library, AppType.MultiThreaded).Dispose();
    }
}
