using System.Collections.Concurrent;
using Azure.Core;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary>
/// A credential as Azure.Identity hands them out, for <see cref="KeyVaultContractServer"/>: the token is
/// <c>{tenant}|{scope}|{identity}</c>, the tenant being the one asked for (a challenge names it) or the home tenant.
/// </summary>
public sealed class ContractCredential(string identity = "platform", string homeTenant = KeyVaultContractServer.DefaultTenant)
    : TokenCredential
{
    private readonly ConcurrentQueue<TokenRequestContext> _requests = new();

    public IReadOnlyCollection<TokenRequestContext> Requests => _requests.ToArray();

    public string TokenFor(string tenant, string scope) => $"{tenant}|{scope}|{identity}";

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        _requests.Enqueue(requestContext);
        return new AccessToken(TokenFor(requestContext.TenantId ?? homeTenant, requestContext.Scopes[0]),
            DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));
}
