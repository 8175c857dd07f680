using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Store;

namespace EnvironmentEncryption.Tests;

public sealed class DataKeyDeciderTests
{
    [Fact]
    [Trait("Rule", "D2")]
    public void A_data_key_is_released_only_while_the_environment_is_Active_D2_E6()
    {
        EnvironmentDecider.CanUseDataKey(An.State(An.UnderPlatformKey()), An.Tenant, An.Environment).ShouldBeNull();
        EnvironmentDecider.CanUseDataKey(An.State(An.UnderTenantKey()), An.Tenant, An.Environment).ShouldBeNull();

        var updating = An.State([.. An.UnderPlatformKey(), new TenantKeyApplicationStarted(An.Tenant, An.Region, "k1", An.T0)]);
        EnvironmentDecider.CanUseDataKey(updating, An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.D2, "Updating");
        var locking = An.State([.. An.UnderTenantKey(), new LockStarted(An.Tenant, An.Region, "c", An.T0)]);
        EnvironmentDecider.CanUseDataKey(locking, An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.E6, "being locked");
        EnvironmentDecider.CanUseDataKey(An.State(An.Locked()), An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.E6, "locked");
        var deleted = An.State([.. An.UnderTenantKey(), new EnvironmentRemoved(An.Tenant, An.Region, "gone", null, An.T0)]);
        EnvironmentDecider.CanUseDataKey(deleted, An.Tenant, An.Environment).ShouldBeRefusedBy(Rules.D2, "deleted");
        EnvironmentDecider.CanUseDataKey(An.State(An.UnderTenantKey()), "fabrikam", An.Environment).ShouldBeRefusedBy(Rules.NotFound);
    }

    [Fact]
    [Trait("Rule", "D4")]
    public void A_tenant_wrapped_data_key_is_opened_by_the_vault_key_that_now_holds_its_thumbprint_D4_U1()
    {
        var key = An.TenantKey("k1", vaultKeyId: "vault-old");
        var reimported = An.Facts(An.Active("k1", An.T0.AddDays(-3), vaultKeyId: "vault-old"), An.Active("k2", An.T0.AddDays(-2)),
            An.Active("k1", An.T0, vaultKeyId: "vault-new"));

        DataKeyVault.VaultKeyIdFor(key, reimported, An.Region).ShouldBe("vault-new");
        DataKeyVault.VaultKeyIdFor(key, An.Facts(An.Active("k1", vaultKeyId: "vault-new", region: "unitedstates")), An.Region).ShouldBe("vault-old");
        DataKeyVault.VaultKeyIdFor(key, null, An.Region).ShouldBe("vault-old");
        DataKeyVault.VaultKeyIdFor(An.PlatformKey(), reimported, An.Region).ShouldBe("platform-europe");
    }

    [Fact]
    [Trait("Rule", "D1")]
    public void Records_are_bound_to_their_environment_record_and_kind_and_open_only_with_their_data_key_D1()
    {
        var key = new byte[32];
        Random.Shared.NextBytes(key);
        var (nonce, ciphertext, tag) = RecordCipher.Encrypt(key, "env-1", "r1", RecordKind.Data, "secret"u8);

        RecordCipher.Decrypt(key, "env-1", "r1", RecordKind.Data, nonce, ciphertext, tag).ShouldBe("secret"u8.ToArray());
        ciphertext.ShouldNotBe("secret"u8.ToArray());
        Should.Throw<System.Security.Cryptography.CryptographicException>(() => RecordCipher.Decrypt(key, "env-2", "r1", RecordKind.Data, nonce, ciphertext, tag));
        Should.Throw<System.Security.Cryptography.CryptographicException>(() => RecordCipher.Decrypt(key, "env-1", "r2", RecordKind.Data, nonce, ciphertext, tag));
        Should.Throw<System.Security.Cryptography.CryptographicException>(() => RecordCipher.Decrypt(key, "env-1", "r1", RecordKind.File, nonce, ciphertext, tag));
        var other = new byte[32];
        Should.Throw<System.Security.Cryptography.CryptographicException>(() => RecordCipher.Decrypt(other, "env-1", "r1", RecordKind.Data, nonce, ciphertext, tag));
    }

    [Fact]
    [Trait("Rule", "D3")]
    public void A_K8_rewrap_keeps_the_data_key_so_records_written_before_stay_readable_D3_K8()
    {
        var applied = An.State(An.UnderTenantKey("k1", dataKeyId: "dk-7"));
        var rotated = EnvironmentDecider.Fold(applied, EnvironmentDecider.Decide(applied, new RewrapDataKey(An.TenantKey("k2", "dk-7"), "r"), An.T0).Events);

        rotated!.DataKey!.DataKeyId.ShouldBe("dk-7");
        rotated.TenantKeyId.ShouldBe("k2");
    }
}
