using Duende.IdentityModel.Client;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.Cli.Tokens;

/// <summary>Where the CLI's bearer tokens come from, in this order: <c>KP_TOKEN</c> as given; else, with
/// <c>Auth__Authority</c>, the identity provider (client credentials with <c>Auth__ClientId</c> and
/// <c>Auth__ClientSecret</c>, else the device code flow for <c>Auth__ClientId</c>; token endpoint from discovery); else,
/// in Development and Testing only (<c>DOTNET_ENVIRONMENT</c>, default Development), a token minted with the public
/// development key. The CLI never signs with a configured <c>Auth__SigningKey</c>: whoever runs it gets only what the
/// identity provider grants its client.</summary>
public sealed class TokenSource(CliEnvironment environment)
{
    public string? Authority => environment.Variable("Auth__Authority") is { Length: > 0 } authority ? authority : null;

    /// <summary>The host environment the CLI runs for: <c>DOTNET_ENVIRONMENT</c>, default <c>Development</c>.</summary>
    public string EnvironmentName => environment.Variable("DOTNET_ENVIRONMENT") is { Length: > 0 } name ? name : "Development";

    /// <summary>A token for operator commands.</summary>
    public async Task<string> OperatorTokenAsync(CancellationToken cancellationToken) =>
        environment.Variable("KP_TOKEN") is { Length: > 0 } given ? given
        : Authority is not null ? await FromIdentityProviderAsync(cancellationToken)
        : MintForDevelopment("keyplatform-cli", "*", [PlatformRoles.PlatformOperator], [], TimeSpan.FromMinutes(30));

    /// <summary>A development token with the public development key; refused outside Development and Testing.</summary>
    public string MintForDevelopment(string subject, string tenantId, IEnumerable<string> roles, IEnumerable<string> environments, TimeSpan lifetime)
    {
        if (!DevelopmentFallbacks.AllowedIn(EnvironmentName))
            throw new CliFailure(ExitCodes.BadInput,
                $"The CLI mints tokens only in Development and Testing, not {EnvironmentName}: set Auth__Authority (with Auth__ClientId, " +
                "and Auth__ClientSecret for client credentials) to get one from the identity provider, or KP_TOKEN.");
        var options = new JwtOptions
        {
            Issuer = environment.Variable("Auth__Issuer") ?? new JwtOptions().Issuer,
            Audience = environment.Variable("Auth__Audience") ?? new JwtOptions().Audience,
        };
        return DevTokens.Mint(options, subject, tenantId, roles, environments, lifetime);
    }

    /// <summary>A token from the identity provider of <c>Auth__Authority</c>: client credentials when a client secret is
    /// configured, else the device code flow (the operator signs in in a browser).</summary>
    public async Task<string> FromIdentityProviderAsync(CancellationToken cancellationToken)
    {
        var authority = Authority ?? throw new CliFailure(ExitCodes.BadInput, "Auth__Authority is not set.");
        if (!Uri.TryCreate(authority, UriKind.Absolute, out var authorityUrl))
            throw new CliFailure(ExitCodes.BadInput, $"Auth__Authority '{authority}' is not a URL.");
        var clientId = environment.Variable("Auth__ClientId") is { Length: > 0 } id
            ? id : throw new CliFailure(ExitCodes.BadInput, "Auth__ClientId is not set: the CLI's client at the identity provider.");
        var scope = environment.Variable("Auth__Scope");

        using var http = environment.HttpClientFactory(authorityUrl);
        var discovery = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest { Address = authority }, cancellationToken);
        if (discovery.IsError)
            throw new CliFailure(ExitCodes.Unreachable, $"cannot read the identity provider's discovery document at {authority}: {discovery.Error}");

        if (environment.Variable("Auth__ClientSecret") is { Length: > 0 } secret)
        {
            var response = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
            {
                Address = discovery.TokenEndpoint, ClientId = clientId, ClientSecret = secret, Scope = scope,
            }, cancellationToken);
            return response.IsError
                ? throw new CliFailure(ExitCodes.Refused, $"the identity provider refused the client credentials of '{clientId}': {response.Error}")
                : response.AccessToken!;
        }
        return await DeviceCodeAsync(http, discovery, clientId, scope, cancellationToken);
    }

    private async Task<string> DeviceCodeAsync(HttpClient http, DiscoveryDocumentResponse discovery, string clientId, string? scope,
        CancellationToken cancellationToken)
    {
        if (discovery.DeviceAuthorizationEndpoint is null)
            throw new CliFailure(ExitCodes.BadInput, "the identity provider offers no device code flow: set Auth__ClientSecret for client credentials.");
        var authorization = await http.RequestDeviceAuthorizationAsync(new DeviceAuthorizationRequest
        {
            Address = discovery.DeviceAuthorizationEndpoint, ClientId = clientId, Scope = scope,
        }, cancellationToken);
        if (authorization.IsError)
            throw new CliFailure(ExitCodes.Refused, $"the identity provider refused a device code for '{clientId}': {authorization.Error}");
        await environment.Error.WriteLineAsync(
            $"To sign in, open {authorization.VerificationUriComplete ?? authorization.VerificationUri} and enter the code {authorization.UserCode}.");

        var interval = TimeSpan.FromSeconds(Math.Max(1, authorization.Interval));
        var deadline = environment.Time.GetUtcNow() + TimeSpan.FromSeconds(authorization.ExpiresIn ?? 300);
        while (environment.Time.GetUtcNow() < deadline)
        {
            await Task.Delay(interval, environment.Time, cancellationToken);
            var token = await http.RequestDeviceTokenAsync(new DeviceTokenRequest
            {
                Address = discovery.TokenEndpoint, ClientId = clientId, DeviceCode = authorization.DeviceCode!,
            }, cancellationToken);
            if (!token.IsError) return token.AccessToken!;
            if (token.Error == "slow_down") interval += TimeSpan.FromSeconds(5);
            else if (token.Error != "authorization_pending")
                throw new CliFailure(ExitCodes.Refused, $"the sign-in was not completed: {token.Error}");
        }
        throw new CliFailure(ExitCodes.Refused, "the device code expired before the sign-in was completed.");
    }
}
