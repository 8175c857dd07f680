using System.Security.Claims;
using System.Text.Encodings.Web;
using KeyPlatform.Contracts;
using KeyPlatform.Vault.Gateway;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace KeyPlatform.KeyService.VaultGateway;

/// <summary>
/// The gateway's own authentication scheme (not the users' bearer tokens): <c>Authorization: VaultClient {client}:{secret}</c>,
/// checked by <see cref="VaultGatewayCredentials"/>. The principal names the client and carries one claim per operation it
/// may call (<see cref="VaultGatewayPermissions"/>). No or a wrong credential: 401; a right one for another operation: 403;
/// both ProblemDetails with rule AUTHZ. The secret is never logged.
/// </summary>
public sealed class VaultGatewayAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    VaultGatewayCredentials credentials,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "VaultGateway";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        var prefix = VaultGatewayProtocol.AuthorizationScheme + " ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var parameter = header.AsSpan(prefix.Length).Trim();
        var colon = parameter.IndexOf(':');
        if (colon <= 0) return Task.FromResult(AuthenticateResult.Fail("The vault gateway credential is not 'client:secret'."));
        var client = parameter[..colon].ToString();
        if (!credentials.Verify(client, parameter[(colon + 1)..]))
            return Task.FromResult(AuthenticateResult.Fail("The vault gateway credential was not accepted."));
        var claims = new List<Claim> { new(VaultGatewayPermissions.ClientClaim, client), new(ClaimTypes.Name, client) };
        claims.AddRange(VaultGatewayPermissions.For(client).Select(operation => new Claim(VaultGatewayPermissions.OperationClaim, operation.ToString())));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, null));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = VaultGatewayProtocol.AuthorizationScheme;
        return WriteAsync(StatusCodes.Status401Unauthorized, "Vault gateway credential required",
            "The vault gateway needs a client's credential (Authorization: VaultClient client:secret) that it accepts.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var operation = Context.GetEndpoint()?.Metadata.GetMetadata<VaultGatewayOperationMetadata>()?.Operation;
        var client = Context.User.FindFirst(VaultGatewayPermissions.ClientClaim)?.Value ?? "this client";
        return WriteAsync(StatusCodes.Status403Forbidden, "Not allowed for this vault gateway client",
            $"Client '{client}' may not call {operation?.ToString() ?? "this operation"} on the vault gateway.");
    }

    private async Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        problem.Extensions["rule"] = Rules.Authorization;
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem });
    }
}
