using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.Testing;

namespace EnvironmentEncryption.Tests;

public sealed class TenantFactsTests
{
    [Fact]
    [Trait("Rule", "U1")]
    public void A_region_has_no_active_key_while_its_keys_are_locked_and_the_reimported_key_is_found_by_its_thumbprint_U1_E2()
    {
        var facts = Given.Events<TenantFacts>(
            new TenantFeatureEnabled(An.Tenant, An.EnabledAt),
            new TenantKeyBecameActive(An.Tenant, An.Region, "k1", "vault-1", "thumb-k1", An.T0.AddDays(-3)),
            new TenantKeyBecameActive(An.Tenant, "unitedstates", "k9", "vault-9", "thumb-k9", An.T0.AddDays(-3)))!;
        facts.ActiveKey(An.Region)!.KeyId.ShouldBe("k1");

        var locked = facts.Apply(new TenantKeysWereLocked(An.Tenant, An.Region, "cycle-1", "thumb-k1", An.T0.AddDays(-2)));
        locked.ActiveKey(An.Region).ShouldBeNull();
        locked.ActiveKey("unitedstates")!.KeyId.ShouldBe("k9");
        locked.VaultKeyIdFor(An.Region, "thumb-k1").ShouldBe("vault-1");

        var reinstated = locked.Apply(new TenantKeyBecameActive(An.Tenant, An.Region, "k1", "vault-1b", "thumb-k1", An.T0));
        reinstated.ActiveKey(An.Region)!.VaultKeyId.ShouldBe("vault-1b");
        reinstated.VaultKeyIdFor(An.Region, "thumb-k1").ShouldBe("vault-1b");
    }
}
