using KeyPlatform.Vault.Pkcs11;
using KeyPlatform.Vault.Tests.Support;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Tests.Pkcs11;

/// <summary>The one-call label check a wrap makes on a kept handle before it encrypts (decision 0018): it answers this
/// key's label only, and fails on a destroyed object, so a wrap under a destroyed key is refused (D4).</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class ObjectLabelsTests(SoftHsmToken token) : IClassFixture<SoftHsmToken>
{
    [Fact, Trait("Rule", "D4"), Trait("Rule", "V1")]
    public async Task The_label_check_answers_the_kept_key_only_and_fails_once_it_is_destroyed_D4_V1()
    {
        using var tenantKey = TestKeys.Rsa2048();
        var imported = await token.Vault.ImportAsync(new VaultKeyName("label check"), VaultKeyOwner.Tenant("contoso", "westeurope"), tenantKey);
        using var labels = ObjectLabels.For(token.Options.Library);
        var factory = token.Vault.Token.Factories.ObjectAttributeFactory;
        var handle = token.Vault.Token.Run(session => session.FindAllObjects(
            [factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_LABEL, imported.KeyId)]).Single());

        token.Vault.Token.Run(session => labels.Is(session, handle, imported.KeyId)).ShouldBeTrue();
        token.Vault.Token.Run(session => labels.Is(session, handle, imported.KeyId[..^1])).ShouldBeFalse("a shorter label is another object");
        token.Vault.Token.Run(session => labels.Is(session, handle, imported.KeyId + "0")).ShouldBeFalse("a longer label is another object");
        token.Vault.Token.Run(session => labels.Is(session, handle, imported.KeyId[..^1] + "x")).ShouldBeFalse("same length, other label");

        (await token.Vault.DeleteAsync(imported.KeyId)).ShouldBeTrue();

        var gone = Should.Throw<Pkcs11Exception>(() => token.Vault.Token.Run(session => labels.Is(session, handle, imported.KeyId)));
        KeyObjects.IsObjectGone(gone.RV).ShouldBeTrue(gone.RV.ToString());
    }
}
