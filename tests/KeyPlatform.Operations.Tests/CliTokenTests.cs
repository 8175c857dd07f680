using System.Net;
using System.Net.Http.Headers;
using KeyPlatform.Cli;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Testing.Identity;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Operations.Tests;

/// <summary>Nothing outside Development mints its own tokens: the operator CLI gets them from the identity provider
/// (client credentials, token endpoint from discovery), and mints development tokens only in Development and Testing.</summary>
public sealed class CliTokenTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private const string ClientId = "keyplatform-cli", Secret = "cli-secret-from-the-vault";
    private readonly TestBroker broker;
    private TestIdentityProvider provider = null!;
    private ServiceHost<KeyServiceApp> keys = null!;

    public CliTokenTests(TestBroker broker) => this.broker = broker;

    public async Task InitializeAsync()
    {
        provider = await TestIdentityProvider.StartAsync();
        provider.RegisterClient(ClientId, Secret, new Dictionary<string, object> { ["tid"] = "*", ["roles"] = new[] { PlatformRoles.PlatformOperator } });
        keys = new ServiceHost<KeyServiceApp>(broker, "keys_cli_tokens", settings: provider.ServiceSettings());
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        await provider.DisposeAsync();
    }

    private sealed record Run(int ExitCode, string Out, string Error);

    private async Task<Run> RunAsync(Dictionary<string, string> variables, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = output, Error = error, Width = 250,
            // The identity provider is a real server on loopback; the service is the in-process test host.
            HttpClientFactory = url => url.GetLeftPart(UriPartial.Authority) == provider.Issuer ? new HttpClient() : keys.CreateClient(),
            Variable = name => variables.GetValueOrDefault(name),
        };
        var exitCode = await KeyPlatformCli.RunAsync(args, environment);
        return new Run(exitCode, output.ToString(), error.ToString());
    }

    private Dictionary<string, string> Production(string secret = Secret) => new()
    {
        ["DOTNET_ENVIRONMENT"] = "Production", ["Auth__Authority"] = provider.Issuer, ["Auth__ClientId"] = ClientId, ["Auth__ClientSecret"] = secret,
    };

    [Fact]
    public async Task In_Production_an_operator_command_gets_its_token_by_client_credentials_from_the_identity_provider()
    {
        var issued = provider.TokensIssued;

        var run = await RunAsync(Production(), "projections", "list", "--json", "--url", "http://localhost");

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        run.Out.ShouldContain("TenantKeyRing");
        provider.TokensIssued.ShouldBe(issued + 1);
    }

    [Fact]
    public async Task The_token_command_prints_the_identity_providers_token_which_the_services_accept()
    {
        var run = await RunAsync(Production(), "token");

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        using var client = keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", run.Out.Trim());
        (await client.GetAsync("/v1/operator/projections")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_client_secret_is_refused_by_the_identity_provider_and_no_token_is_minted_instead()
    {
        var run = await RunAsync(Production("guessed"), "projections", "list", "--url", "http://localhost");

        run.ExitCode.ShouldBe(ExitCodes.Refused);
        run.Error.ShouldContain("refused the client credentials");
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_and_Testing_the_CLI_mints_no_token(string environment)
    {
        var variables = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = environment, ["Auth__SigningKey"] = new string('k', 48) };

        var minted = await RunAsync(variables, "token", "--tenant", "*", "--role", PlatformRoles.PlatformStorageService);
        var command = await RunAsync(variables, "projections", "list", "--url", "http://localhost");

        minted.ExitCode.ShouldBe(ExitCodes.BadInput);
        minted.Out.ShouldBeEmpty();
        minted.Error.ShouldContain($"only in Development and Testing, not {environment}");
        command.ExitCode.ShouldBe(ExitCodes.BadInput);
        command.Error.ShouldContain("Auth__Authority");
    }

    [Fact]
    public async Task In_Development_the_CLI_still_mints_a_development_token()
    {
        var run = await RunAsync([], "token", "--tenant", "contoso", "--role", PlatformRoles.PowerPlatformAdmin);

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(run.Out.Trim()).GetClaim("tid").Value.ShouldBe("contoso");
    }
}
