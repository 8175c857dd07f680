using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Environments.Status;
using KeyPlatform.Testing;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>
/// K1 at the vault: EnvironmentEncryption wraps a tenant's data keys only under a vault key of that tenant and region
/// with the announced thumbprint. A forged or mistaken <see cref="TenantKeyActivated"/> naming another tenant's vault
/// key, or the platform key, makes the rewrap fail and record the failure; the environment stays under its key and
/// its data stays readable.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class VaultOwnershipTests(PlatformFixture platform)
{
    [Theory]
    [Trait("Rule", "K1")]
    [InlineData("another tenant's key")]
    [InlineData("the platform key")]
    public async Task A_forged_activation_naming_a_vault_key_that_is_not_the_tenants_rewraps_nothing_K1_K8(string forgedKey)
    {
        var tenant = await platform.TenantAsync();
        var key = await platform.FirstKeyAsync(tenant);
        var environment = await platform.RegisterAsync(tenant);
        await platform.WriteOkAsync(tenant, environment, "invoice-9", "EUR 99.00 due 2026-05-01");
        await platform.ApplyAndWaitAsync(tenant, environment);
        var (vaultKeyId, thumbprint) = forgedKey == "the platform key"
            ? await PlatformKeyAsync()
            : await AnotherTenantsKeyAsync();

        var forgedKeyId = $"forged-{TestInfrastructure.UniqueSuffix()}";
        await platform.KeyServiceBus.PublishAsync(new TenantKeyActivated(tenant, PlatformFixture.Region, forgedKeyId, vaultKeyId, thumbprint, key.KeyId,
            platform.Clock.GetUtcNow()));

        var run = await Eventually.GetAsync(async () =>
        {
            var page = await (await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments")).ReadAsync<EnvironmentStatusPage>();
            return page.Rewraps.SingleOrDefault(r => r.TargetKeyId == forgedKeyId && r.Completed);
        }, "the forged rewrap run to finish");
        run.Failed.ShouldBe(1);
        run.Rewrapped.ShouldBe(0);
        var status = await platform.StatusAsync(tenant, environment);
        status.TenantKeyId.ShouldBe(key.KeyId);
        status.KeyThumbprint.ShouldBe(key.File.Thumbprint);
        status.State.ShouldBe(EnvironmentState.Active);
        (await platform.ReadOkAsync(tenant, environment, "invoice-9")).ShouldBe("EUR 99.00 due 2026-05-01");
    }

    private async Task<(string VaultKeyId, string Thumbprint)> AnotherTenantsKeyAsync()
    {
        var other = await platform.FirstKeyAsync(await platform.TenantAsync());
        return (other.Facts.VaultKeyId, other.Facts.Thumbprint);
    }

    private async Task<(string VaultKeyId, string Thumbprint)> PlatformKeyAsync()
    {
        var platformKey = await platform.Vault.GetOrCreatePlatformKeyAsync(PlatformFixture.Region);
        return (platformKey.KeyId, platformKey.Thumbprint);
    }
}
