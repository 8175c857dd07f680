using KeyPlatform.Vault.AzureKeyVault;
using KeyPlatform.Vault.DependencyInjection;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary><c>Vault:Provider = AzureKeyVault</c> as a service's Program.cs gets it, and the start-up check.</summary>
public sealed class AzureKeyVaultRegistrationTests
{
    [Fact, Trait("Rule", "V1")]
    public async Task Without_a_vault_URI_the_host_does_not_start_and_names_the_setting_V1()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Vault:Provider"] = "AzureKeyVault" });
        builder.Services.AddKeyVault(builder.Configuration);
        using var host = builder.Build();

        var failure = await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync());

        failure.Message.ShouldContain("Vault:AzureKeyVault:VaultUri");
    }

    [Fact, Trait("Rule", "V1")]
    public void A_request_timeout_not_below_the_attempt_timeout_is_refused_at_registration_naming_both_settings_V1()
    {
        var azure = new AzureKeyVaultOptions { RequestTimeout = TimeSpan.FromSeconds(15) };
        var shared = new LocalVaultOptions { Resilience = { AttemptTimeout = TimeSpan.FromSeconds(15) } };

        var refused = Should.Throw<InvalidOperationException>(() =>
            KeyVaultServiceCollectionExtensions.RegisterAzureKeyVault(new ServiceCollection(), azure, shared));

        refused.Message.ShouldContain("Vault:AzureKeyVault:RequestTimeout");
        refused.Message.ShouldContain("Vault:Resilience:AttemptTimeout");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_reachable_vault_starts_the_host_with_the_resilient_Azure_Key_Vault_store_V1()
    {
        await using var server = await KeyVaultContractServer.StartAsync();
        using var host = BuildHost(server, new ContractCredential());

        await host.StartAsync();

        host.Services.GetRequiredService<IKeyVault>().ShouldBeOfType<ResilientKeyVault>();
        host.Services.GetRequiredService<AzureKeyVaultAdapter>().VaultUri.ShouldBe(server.VaultUri);
        server.Requests.ShouldContain(request => request.Path == "/keys/keyplatform-start-up-check" && request.Status == 404);
        await host.StopAsync();
    }

    [Fact, Trait("Rule", "V1")]
    public async Task A_vault_that_refuses_the_identity_stops_the_host_with_the_reason_V1()
    {
        await using var server = await KeyVaultContractServer.StartAsync();
        server.WithoutPermission.Add("stranger");
        using var host = BuildHost(server, new ContractCredential("stranger"));

        var failure = await Should.ThrowAsync<AzureKeyVaultRequestException>(() => host.StartAsync());

        failure.Status.ShouldBe(403);
        failure.Message.ShouldContain(server.VaultUri.Host);
        failure.Message.ShouldContain("start-up check");
    }

    [Fact, Trait("Rule", "V1")]
    public async Task An_unavailable_vault_stops_the_host_after_the_pipelines_retries_V1()
    {
        await using var server = await KeyVaultContractServer.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            server.QueueFault(503);
        }

        using var host = BuildHost(server, new ContractCredential(), options => options.MaxRetries = 1);

        var unavailable = await Should.ThrowAsync<VaultUnavailableException>(() => host.StartAsync());

        unavailable.Store.ShouldContain(server.VaultUri.Host);
        unavailable.InnerException.ShouldBeOfType<AzureKeyVaultRequestException>().Status.ShouldBe(503);
        server.Requests.Count.ShouldBe(2);
    }

    /// <summary>The pipeline's retries are the only ones: the resilient decorator registered over the adapter does not run
    /// them again for a vault that stays unavailable (it would multiply the requests to a vault already in trouble).</summary>
    [Fact, Trait("Rule", "V1")]
    public async Task A_lasting_503_is_tried_by_the_pipeline_only_not_again_by_the_decorator_V1()
    {
        await using var server = await KeyVaultContractServer.StartAsync();
        using var host = BuildHost(server, new ContractCredential(), options => options.MaxRetries = 2);
        await host.StartAsync();
        var vault = host.Services.GetRequiredService<IKeyVault>();
        vault.ShouldBeOfType<ResilientKeyVault>();
        using var tenantKey = System.Security.Cryptography.RSA.Create(2048);
        var imported = await vault.ImportAsync(new VaultKeyName("stays unavailable"), VaultKeyOwner.Tenant("contoso", "westeurope"), tenantKey);
        for (var i = 0; i < 20; i++)
        {
            server.QueueFault(503);
        }

        var before = server.Requests.Count;
        var unavailable = await Should.ThrowAsync<VaultUnavailableException>(() => vault.GetThumbprintAsync(imported.KeyId));

        unavailable.InnerException.ShouldBeOfType<AzureKeyVaultRequestException>().Status.ShouldBe(503);
        (server.Requests.Count - before).ShouldBe(3, "1 + MaxRetries tries by the pipeline, none more");
        await host.StopAsync();
    }

    [Fact, Trait("Rule", "V1")]
    public void Options_are_read_from_the_Vault_AzureKeyVault_section_and_never_show_the_client_secret_V1()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vault:AzureKeyVault:VaultUri"] = "https://contoso-hsm.managedhsm.azure.net/",
            ["Vault:AzureKeyVault:ApiVersion"] = "7.6",
            ["Vault:AzureKeyVault:KeyType"] = "RSA",
            ["Vault:AzureKeyVault:PurgeOnDelete"] = "false",
            ["Vault:AzureKeyVault:Credential"] = "clientsecret",
            ["Vault:AzureKeyVault:TenantId"] = "tenant-guid",
            ["Vault:AzureKeyVault:ClientId"] = "client-guid",
            ["Vault:AzureKeyVault:ClientSecret"] = "s3cret-value",
            ["Vault:AzureKeyVault:MaxRetries"] = "5",
            ["Vault:AzureKeyVault:DeletePollTimeout"] = "00:01:00",
        }).Build();

        var options = AzureKeyVaultOptions.FromConfiguration(configuration);
        options.Validate();

        (options.VaultUri, options.ApiVersion, options.KeyType, options.PurgeOnDelete, options.Credential)
            .ShouldBe((new Uri("https://contoso-hsm.managedhsm.azure.net/"), "7.6", "RSA", false, AzureCredentialKind.ClientSecret));
        (options.TenantId, options.ClientId, options.ReadClientSecret(), options.MaxRetries, options.DeletePollTimeout)
            .ShouldBe(("tenant-guid", "client-guid", "s3cret-value", 5, TimeSpan.FromMinutes(1)));
        options.Scope.ShouldBe("https://managedhsm.azure.net/.default");
        options.ToString().ShouldNotContain("s3cret-value");
    }

    [Theory, Trait("Rule", "V1")]
    [InlineData("http://contoso.vault.azure.net/", "https base address")]
    [InlineData("https://contoso.vault.azure.net/keys", "https base address")]
    public void A_vault_URI_that_is_not_an_https_base_address_is_refused_V1(string uri, string reason)
    {
        var options = new AzureKeyVaultOptions { VaultUri = new Uri(uri) };

        Should.Throw<InvalidOperationException>(options.Validate).Message.ShouldContain(reason);
    }

    [Theory, Trait("Rule", "V1")]
    [InlineData("ApiVersion", "7.4", "7.5 or later")]
    [InlineData("KeyType", "EC-HSM", "RSA or RSA-HSM")]
    [InlineData("Credential", "Certificate", "Default, ClientSecret, ManagedIdentity")]
    public void Settings_out_of_range_are_refused_naming_the_setting_V1(string setting, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vault:AzureKeyVault:VaultUri"] = "https://contoso.vault.azure.net/",
            [$"Vault:AzureKeyVault:{setting}"] = value,
        }).Build();

        var failure = Should.Throw<InvalidOperationException>(() => AzureKeyVaultOptions.FromConfiguration(configuration).Validate());

        failure.Message.ShouldContain(setting);
        failure.Message.ShouldContain(expected);
    }

    private static IHost BuildHost(KeyVaultContractServer server, ContractCredential credential, Action<AzureKeyVaultOptions>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        var options = AzureKeyVaultTestOptions.For(server, credential);
        options.RetryDelay = TimeSpan.FromMilliseconds(10);
        configure?.Invoke(options);
        KeyVaultServiceCollectionExtensions.RegisterAzureKeyVault(builder.Services, options, new LocalVaultOptions());
        return builder.Build();
    }
}
