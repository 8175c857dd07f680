using System.Net;
using System.Net.Http.Headers;
using KeyPlatform.Cli;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Testing.Identity;
using Microsoft.Extensions.Time.Testing;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Operations.Tests;

/// <summary>Nothing outside Development mints its own tokens: the operator CLI gets them from the identity provider
/// (client credentials, token endpoint from discovery), and mints development tokens only in Development and Testing.</summary>
public sealed class CliTokenTests : IClassFixture<TestBroker>, IAsyncLifetime
{
    private const string ClientId = "keyplatform-cli", Secret = "cli-secret-from-the-vault";
    private static readonly Dictionary<string, object> Operator = new() { ["tid"] = "*", ["roles"] = new[] { PlatformRoles.PlatformOperator } };
    private readonly TestBroker broker;
    private TestIdentityProvider provider = null!;
    private ServiceHost<KeyServiceApp> keys = null!;

    public CliTokenTests(TestBroker broker) => this.broker = broker;

    public async Task InitializeAsync()
    {
        provider = await TestIdentityProvider.StartAsync();
        provider.RegisterClient(ClientId, Secret, Operator);
        provider.Devices.RegisterPublicClient(ClientId);
        keys = new ServiceHost<KeyServiceApp>(broker, "keys_cli_tokens", settings: provider.ServiceSettings());
    }

    public async Task DisposeAsync()
    {
        await keys.DisposeAsync();
        await provider.DisposeAsync();
    }

    private sealed record Run(int ExitCode, string Out, string Error);

    private Task<Run> RunAsync(Dictionary<string, string> variables, params string[] args) => RunAsync(variables, TimeProvider.System, args);

    private async Task<Run> RunAsync(Dictionary<string, string> variables, TimeProvider time, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new CliEnvironment
        {
            Out = output, Error = error, Width = 250,
            // The identity provider is a real server on loopback; the service is the in-process test host.
            HttpClientFactory = url => url.GetLeftPart(UriPartial.Authority) == provider.Issuer ? new HttpClient() : keys.CreateClient(),
            Variable = name => variables.GetValueOrDefault(name),
            Time = time,
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

    /// <summary>No client secret: the CLI runs the device code flow, printing where to sign in, and polls (time moved by
    /// a fake clock, the interval at a time) until the person at the browser acts, or the code expires.</summary>
    private async Task<Run> SignInOnAnotherDeviceAsync(Action<string>? atTheBrowser)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var variables = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production", ["Auth__Authority"] = provider.Issuer, ["Auth__ClientId"] = ClientId,
        };
        var run = RunAsync(variables, time, "token");
        var acted = false;
        for (var step = 0; !run.IsCompleted && step < 2 * DeviceSignIns.ExpiresInSeconds / DeviceSignIns.IntervalSeconds; step++)
        {
            // Once the CLI has polled and been told to wait, the person signs in (or declines).
            if (!acted && atTheBrowser is not null && provider.Devices.LatestUserCode is { } code && provider.Devices.PollsFor(code) > 0)
            {
                atTheBrowser(code);
                acted = true;
            }

            time.Advance(TimeSpan.FromSeconds(DeviceSignIns.IntervalSeconds));
            await Task.WhenAny(run, Task.Delay(25));
        }

        run.IsCompleted.ShouldBeTrue("the CLI still waits after the device code's whole lifetime");
        return await run;
    }

    [Fact]
    public async Task Without_a_client_secret_the_CLI_signs_in_by_device_code_and_prints_a_token_the_services_accept()
    {
        var person = new Dictionary<string, object>(Operator) { ["sub"] = "operator@platform.example" };
        var run = await SignInOnAnotherDeviceAsync(code => provider.Devices.Approve(code, person));

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        var code = provider.Devices.LatestUserCode!;
        run.Error.ShouldContain($"{provider.Issuer}/activate?user_code={code}");
        run.Error.ShouldContain($"enter the code {code}");
        using var client = keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", run.Out.Trim());
        (await client.GetAsync("/v1/operator/projections")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_device_sign_in_the_person_declines_is_refused_and_prints_no_token()
    {
        var run = await SignInOnAnotherDeviceAsync(code => provider.Devices.Deny(code));

        run.ExitCode.ShouldBe(ExitCodes.Refused);
        run.Out.ShouldBeEmpty();
        run.Error.ShouldContain("the sign-in was not completed: access_denied");
    }

    [Fact]
    public async Task A_device_code_nobody_signs_in_with_expires_and_the_CLI_gives_up_saying_so()
    {
        var run = await SignInOnAnotherDeviceAsync(atTheBrowser: null);

        run.ExitCode.ShouldBe(ExitCodes.Refused);
        run.Out.ShouldBeEmpty();
        run.Error.ShouldContain("the device code expired before the sign-in was completed");
        provider.Devices.PollsFor(provider.Devices.LatestUserCode!).ShouldBeGreaterThan(1);
    }

    [Fact]
    public async Task In_Development_the_CLI_still_mints_a_development_token()
    {
        var run = await RunAsync([], "token", "--tenant", "contoso", "--role", PlatformRoles.PowerPlatformAdmin);

        run.ExitCode.ShouldBe(ExitCodes.Ok, run.Error);
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(run.Out.Trim()).GetClaim("tid").Value.ShouldBe("contoso");
    }
}
