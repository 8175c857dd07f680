using KeyPlatform.KeyService.VaultGateway;
using KeyPlatform.Vault.Gateway;
using Microsoft.Extensions.Configuration;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>The gateway's settings on both sides, checked at start-up, naming the setting and never the secret.</summary>
public sealed class VaultGatewayOptionsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact, Trait("Rule", "TLS_REQUIRED")]
    public void A_plain_http_gateway_address_stops_a_Production_start_but_not_a_Testing_one_TLS_REQUIRED()
    {
        var settings = Settings(("Vault:Gateway:Address", "http://keyservice:8080"), ("Vault:Gateway:Client", "EnvironmentEncryption"),
            ("Vault:Gateway:Secret", "s3cret-value"));

        Should.Throw<InvalidOperationException>(() => VaultGatewayOptions.FromConfiguration(settings, "Production"))
            .Message.ShouldSatisfyAllConditions(m => m.ShouldContain("Vault:Gateway:Address"), m => m.ShouldContain("https"),
                m => m.ShouldNotContain("s3cret-value"));
        VaultGatewayOptions.FromConfiguration(settings, "Testing").Address.ShouldBe(new Uri("http://keyservice:8080/"));
        VaultGatewayOptions.FromConfiguration(Settings(("Vault:Gateway:Address", "https://keyservice"), ("Vault:Gateway:Client", "TenantLock"),
            ("Vault:Gateway:Secret", "s3cret-value")), "Production").ToString().ShouldNotContain("s3cret-value");
    }

    [Fact]
    public void A_gateway_client_without_a_secret_does_not_start()
    {
        var settings = Settings(("Vault:Gateway:Address", "https://keyservice"), ("Vault:Gateway:Client", "TenantLock"));

        Should.Throw<InvalidOperationException>(() => VaultGatewayOptions.FromConfiguration(settings, "Production"))
            .Message.ShouldContain("Vault:Gateway:SecretFile");
    }

    [Fact]
    public void KeyService_refuses_a_gateway_client_it_does_not_know_or_a_hash_that_is_not_SHA256()
    {
        Should.Throw<InvalidOperationException>(() => VaultGatewayCredentials.FromConfiguration(
            Settings(("VaultGateway:Clients:Dashboard:SecretSha256", new string('a', 64))))).Message.ShouldContain("Dashboard");
        Should.Throw<InvalidOperationException>(() => VaultGatewayCredentials.FromConfiguration(
            Settings(("VaultGateway:Clients:TenantLock:SecretSha256", "abc")))).Message.ShouldContain("SecretSha256");
    }

    [Fact]
    public void KeyService_accepts_only_the_secret_whose_SHA256_it_holds()
    {
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("the secret"u8));
        var credentials = VaultGatewayCredentials.FromConfiguration(Settings(("VaultGateway:Clients:tenantlock:SecretSha256", hash)));

        credentials.Verify(VaultGatewayClients.TenantLock, "the secret").ShouldBeTrue();
        credentials.Verify(VaultGatewayClients.TenantLock, "the secreT").ShouldBeFalse();
        credentials.Verify(VaultGatewayClients.EnvironmentEncryption, "the secret").ShouldBeFalse();
    }
}
