using KeyPlatform.Testing;
using KeyPlatform.Vault.DependencyInjection;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace KeyPlatform.Vault.Tests.DependencyInjection;

/// <summary>V1, bad input: <c>/health/ready</c> (the <c>ready</c> checks) says whether the key store is reachable and
/// names it, so an operator sees which store is down; the answer never carries the PIN.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class KeyVaultReadinessTests
{
    private static async Task<HealthReportEntry> VaultCheckAsync(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var provider = new ServiceCollection().AddLogging()
            .AddKeyVault(configuration, vault => vault.Regions = VaultDatabase.Regions).BuildServiceProvider();
        var report = await provider.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(check => check.Tags.Contains("ready"));
        return report.Entries[KeyVaultHealthCheck.Name];
    }

    private static Dictionary<string, string?> Local(string connectionString) => new()
    {
        ["ConnectionStrings:Postgres"] = connectionString,
        ["Vault:Schema"] = "vault_readiness",
        ["Vault:MasterKey"] = MasterKeyLoader.NewMasterKeyBase64(),
    };

    private static Dictionary<string, string?> OnTheToken(string? pin = null)
    {
        var token = SoftHsm.FromEnvironment();
        return new Dictionary<string, string?>
        {
            ["Vault:Provider"] = "Pkcs11", ["Vault:Pkcs11:Library"] = token.Library, ["Vault:Pkcs11:TokenLabel"] = token.TokenLabel,
            ["Vault:Pkcs11:Pin"] = pin ?? token.Pin,
        };
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_local_store_is_ready_when_its_database_answers_V1()
    {
        var check = await VaultCheckAsync(Local(VaultDatabase.ConnectionString));

        check.Status.ShouldBe(HealthStatus.Healthy, check.Description);
        check.Description.ShouldBe("Local key store reachable");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_local_store_is_not_ready_when_its_database_does_not_answer_and_says_which_store_V1()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(VaultDatabase.ConnectionString) { Port = 1, Timeout = 2 }.ConnectionString;

        var check = await VaultCheckAsync(Local(unreachable));

        check.Status.ShouldBe(HealthStatus.Unhealthy);
        check.Description.ShouldStartWith("Local key store unavailable");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_PKCS11_store_is_ready_when_its_token_answers_V1()
    {
        var check = await VaultCheckAsync(OnTheToken());

        check.Status.ShouldBe(HealthStatus.Healthy, check.Description);
        check.Description.ShouldBe("Pkcs11 key store reachable");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_PKCS11_store_with_a_wrong_PIN_is_not_ready_says_so_and_never_shows_the_PIN_V1()
    {
        const string wrongPin = "999999-not-the-pin";

        var check = await VaultCheckAsync(OnTheToken(wrongPin));

        check.Status.ShouldBe(HealthStatus.Unhealthy);
        check.Description.ShouldStartWith("Pkcs11 key store unavailable");
        check.Description.ShouldNotContain(wrongPin);
        (check.Exception?.ToString() ?? "").ShouldNotContain(wrongPin);
    }

    private static Dictionary<string, string?> LocalEnveloped(string masterKeyFile)
    {
        var token = SoftHsm.FromEnvironment();
        return new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = VaultDatabase.ConnectionString, ["Vault:Schema"] = "vault_readiness",
            ["Vault:MasterKeyWrapping"] = "Pkcs11", ["Vault:MasterKeyFile"] = masterKeyFile,
            ["Vault:Pkcs11:Library"] = token.Library, ["Vault:Pkcs11:TokenLabel"] = token.TokenLabel, ["Vault:Pkcs11:Pin"] = token.Pin,
        };
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_local_store_with_its_master_key_wrapped_on_the_token_is_ready_and_names_the_token_V1()
    {
        using var envelope = new EnvelopedMasterKey();

        var check = await VaultCheckAsync(LocalEnveloped(envelope.FilePath));

        check.Status.ShouldBe(HealthStatus.Healthy, check.Description);
        check.Description.ShouldBe($"Local key store (master key wrapped on PKCS#11 token '{SoftHsm.FromEnvironment().TokenLabel}') reachable");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task The_local_store_whose_wrapping_key_is_gone_is_not_ready_and_says_which_store_and_why_V1()
    {
        using var envelope = new EnvelopedMasterKey();
        using (var token = EnvelopedMasterKey.NewEnvelope())
        {
            token.DestroyWrappingKey(envelope.WrappingKeyLabel).ShouldBeTrue();
        }

        var check = await VaultCheckAsync(LocalEnveloped(envelope.FilePath));

        check.Status.ShouldBe(HealthStatus.Unhealthy);
        check.Description.ShouldStartWith("Local key store (master key wrapped on PKCS#11 token");
        check.Description.ShouldContain($"has no key labelled '{envelope.WrappingKeyLabel}'");
        check.Description.ShouldContain("Vault:MasterKeyFile");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_gateway_client_is_not_ready_when_the_gateway_does_not_answer_and_says_so_without_its_secret_V1()
    {
        var check = await VaultCheckAsync(new Dictionary<string, string?>
        {
            ["Vault:Provider"] = "Gateway", ["Vault:Gateway:Address"] = "https://127.0.0.1:1/", ["Vault:Gateway:Client"] = "TenantLock",
            ["Vault:Gateway:Secret"] = "gateway-secret-never-shown",
        });

        check.Status.ShouldBe(HealthStatus.Unhealthy);
        check.Description.ShouldStartWith("Gateway key store unavailable: The vault gateway at https://127.0.0.1:1/ cannot be reached");
        check.Description.ShouldNotContain("gateway-secret-never-shown");
    }
}
