using System.Net;
using System.Text.Json;
using KeyPlatform.Vault.DependencyInjection;
using KeyPlatform.Vault.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>
/// A KeyService that is down, or that accepts and never answers, is an unavailable store for the gateway's clients
/// (<see cref="VaultUnavailableException"/>, transient), and a 503 with Retry-After at their public HTTP edge, never a hang
/// or a 500 (docs/decisions/0020-vault-gateway.md).
/// </summary>
public sealed class VaultGatewayUnavailableTests
{
    /// <summary>Nothing listens here: the connection is refused at once.</summary>
    private static HttpClient DownKeyService() => new() { BaseAddress = new Uri("http://127.0.0.1:9/") };

    [Fact, Trait("Rule", "VAULT_UNAVAILABLE")]
    public async Task A_KeyService_that_is_down_is_an_unavailable_store_for_the_client_VAULT_UNAVAILABLE()
    {
        var client = new VaultGatewayKeyVault(DownKeyService(), VaultGatewayClients.EnvironmentEncryption);

        var unavailable = await Should.ThrowAsync<VaultUnavailableException>(() => client.GetInfoAsync(CancellationToken.None));

        unavailable.Store.ShouldContain("vault gateway");
        KeyPlatform.Vault.Resilience.ResilientKeyVault.IsTransient(unavailable).ShouldBeTrue();
    }

    [Fact, Trait("Rule", "VAULT_UNAVAILABLE")]
    public async Task A_KeyService_that_accepts_and_never_answers_ends_the_first_algorithm_read_at_the_deadline_VAULT_UNAVAILABLE()
    {
        await using var silent = await SilentKeyServiceAsync();
        var time = new FakeTimeProvider();
        var http = silent.GetTestClient();
        http.BaseAddress = new Uri("http://keyservice/");
        var client = new VaultGatewayKeyVault(http, VaultGatewayClients.EnvironmentEncryption, TimeSpan.FromSeconds(15), time);

        var read = Task.Run(() => client.PreferredWrappingAlgorithm);
        for (var advanced = 0; !read.IsCompleted && advanced < 1000; advanced++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
            await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System));
        }

        read.IsCompleted.ShouldBeTrue();
        (await Should.ThrowAsync<VaultUnavailableException>(read)).Message.ShouldContain("did not answer within");
    }

    [Fact, Trait("Rule", "VAULT_UNAVAILABLE")]
    public async Task A_public_answer_that_needs_a_KeyService_that_is_down_is_a_503_with_Retry_After_not_a_500_VAULT_UNAVAILABLE()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vault:Provider"] = "Gateway",
            ["Vault:Gateway:Address"] = "http://127.0.0.1:9/",
            ["Vault:Gateway:Client"] = VaultGatewayClients.EnvironmentEncryption,
            ["Vault:Gateway:Secret"] = VaultGatewayHost.EnvironmentEncryptionSecret,
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddKeyVault(builder.Configuration); // as EnvironmentEncryption and TenantLock register it
        await using var app = builder.Build();
        app.UseExceptionHandler();
        app.MapGet("/v1/status", (IKeyVault vault) => vault.PreferredWrappingAlgorithm);
        await app.StartAsync();

        using var response = await app.GetTestClient().GetAsync("/v1/status");

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull();
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        problem.RootElement.GetProperty("rule").GetString().ShouldBe("VAULT_UNAVAILABLE");
    }

    private static async Task<WebApplication> SilentKeyServiceAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet(VaultGatewayProtocol.InfoPath, async (HttpContext http) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, http.RequestAborted);
            return Results.Ok();
        });
        await app.StartAsync();
        return app;
    }
}
