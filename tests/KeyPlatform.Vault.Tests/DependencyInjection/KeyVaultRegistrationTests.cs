using KeyPlatform.Vault.DependencyInjection;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeyPlatform.Vault.Tests.DependencyInjection;

/// <summary>AddKeyVault as a service's Program.cs uses it. None of these touch the database.</summary>
public sealed class KeyVaultRegistrationTests
{
    [Fact, Trait("Rule", "D1")]
    public async Task Production_host_without_a_master_key_fails_to_start_D1()
    {
        using var host = BuildHost(Environments.Production, new Dictionary<string, string?>());

        var failure = await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync());

        failure.Message.ShouldContain("Vault:MasterKey");
    }

    [Fact, Trait("Rule", "D1")]
    public async Task A_Staging_host_without_a_master_key_fails_to_start_as_Production_does_D1()
    {
        using var host = BuildHost("Staging", new Dictionary<string, string?>());
        (await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync())).Message.ShouldContain("master key");
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Production_host_with_a_master_key_starts_with_the_resilient_vault_D1()
    {
        using var host = BuildHost(Environments.Production, new Dictionary<string, string?>
        {
            ["Vault:MasterKey"] = MasterKeyLoader.NewMasterKeyBase64(),
            ["Vault:Schema"] = "vault_registration",
        });

        await host.StartAsync();

        host.Services.GetRequiredService<IKeyVault>().ShouldBeOfType<ResilientKeyVault>();
        host.Services.GetRequiredService<LocalKeyVault>().Schema.ShouldBe("vault_registration");
        await host.StopAsync();
    }

    [Fact, Trait("Rule", "D1")]
    public async Task Development_host_without_a_master_key_creates_the_configured_key_file_D1()
    {
        using var directory = new TemporaryDirectory();
        var keyFile = Path.Combine(directory.Path, "dev", "master.key");
        using var host = BuildHost(Environments.Development, new Dictionary<string, string?> { ["Vault:MasterKeyFile"] = keyFile });

        await host.StartAsync();

        File.Exists(keyFile).ShouldBeTrue();
        await host.StopAsync();
    }

    [Fact, Trait("Rule", "D1")]
    public void Options_are_read_from_the_Vault_section_and_the_Postgres_connection_string_D1()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=db",
            ["Vault:Schema"] = "keys_here",
            ["Vault:MasterKeyFile"] = "secrets/vault.key",
            ["Vault:Resilience:MaxRetryAttempts"] = "5",
            ["Vault:Resilience:AttemptTimeout"] = "00:00:03",
        }).Build();

        var options = LocalVaultOptions.FromConfiguration(configuration);

        options.ConnectionString.ShouldBe("Host=db");
        options.Schema.ShouldBe("keys_here");
        options.MasterKey.ShouldBeNull();
        options.MasterKeyFile.ShouldBe("secrets/vault.key");
        options.Resilience.MaxRetryAttempts.ShouldBe(5);
        options.Resilience.AttemptTimeout.ShouldBe(TimeSpan.FromSeconds(3));
    }

    [Fact, Trait("Rule", "D1")]
    public void Without_a_host_environment_the_vault_assumes_Production_D1()
    {
        var services = new ServiceCollection();
        services.AddKeyVault(options => options.ConnectionString = "Host=db");
        using var provider = services.BuildServiceProvider();

        Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<IKeyVault>());
    }

    [Fact, Trait("Rule", "V1")]
    public async Task An_unknown_Vault_Provider_stops_the_host_naming_the_setting_V1()
    {
        var failure = Should.Throw<InvalidOperationException>(() => BuildHost(Environments.Production, new Dictionary<string, string?>
        {
            ["Vault:Provider"] = "CloudHsm",
            ["Vault:MasterKey"] = MasterKeyLoader.NewMasterKeyBase64(),
        }));

        failure.Message.ShouldContain("Vault:Provider");
        failure.Message.ShouldContain("Local, Pkcs11, AzureKeyVault");
        await Task.CompletedTask;
    }

    [Fact, Trait("Rule", "V1")]
    public void Pkcs11_options_are_read_from_the_Vault_Pkcs11_section_and_never_show_the_PIN_V1()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vault:Pkcs11:Library"] = "/opt/hsm/libvendor.so",
            ["Vault:Pkcs11:TokenLabel"] = "platform",
            ["Vault:Pkcs11:Pin"] = "s3cret-pin",
            ["Vault:Pkcs11:WrappingAlgorithm"] = "RSA-OAEP-256",
        }).Build();

        var options = KeyPlatform.Vault.Pkcs11.Pkcs11VaultOptions.FromConfiguration(configuration);

        (options.Library, options.TokenLabel, options.Pin, options.WrappingAlgorithm)
            .ShouldBe(("/opt/hsm/libvendor.so", "platform", "s3cret-pin", WrappingAlgorithm.RsaOaep256));
        options.ToString().ShouldNotContain("s3cret-pin");
    }

    private static IHost BuildHost(string environment, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        settings["ConnectionStrings:Postgres"] = VaultDatabase.ConnectionString;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddKeyVault(builder.Configuration);
        return builder.Build();
    }
}
