using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace KeyPlatform.Vault.AzureKeyVault;

/// <summary>
/// Azure.Core's bearer-token policy with Key Vault's authentication challenge: a 401 carries
/// <c>WWW-Authenticate: Bearer authorization="https://login.../{tenant}", resource="https://vault.azure.net"</c>, and the
/// request is sent once more with a token for that resource and tenant, which later requests then use. A challenge
/// naming a resource that is not the vault's own domain is not followed (a token is never sent elsewhere).
/// </summary>
internal sealed partial class KeyVaultChallengePolicy(TokenCredential credential, string scope, Uri vaultUri)
    : BearerTokenAuthenticationPolicy(credential, scope)
{
    /// <summary>The token request the last followed challenge asked for (boxed, so it is swapped atomically).</summary>
    private volatile Challenged? _challenged;

    protected override ValueTask AuthorizeRequestAsync(HttpMessage message) =>
        _challenged is { } challenged ? AuthenticateAndAuthorizeRequestAsync(message, challenged.Context) : base.AuthorizeRequestAsync(message);

    protected override void AuthorizeRequest(HttpMessage message)
    {
        if (_challenged is { } challenged)
        {
            AuthenticateAndAuthorizeRequest(message, challenged.Context);
            return;
        }

        base.AuthorizeRequest(message);
    }

    protected override async ValueTask<bool> AuthorizeRequestOnChallengeAsync(HttpMessage message)
    {
        if (FromChallenge(message) is not { } context)
        {
            return await base.AuthorizeRequestOnChallengeAsync(message).ConfigureAwait(false);
        }

        await AuthenticateAndAuthorizeRequestAsync(message, context).ConfigureAwait(false);
        _challenged = new Challenged(context);
        return true;
    }

    protected override bool AuthorizeRequestOnChallenge(HttpMessage message)
    {
        if (FromChallenge(message) is not { } context)
        {
            return base.AuthorizeRequestOnChallenge(message);
        }

        AuthenticateAndAuthorizeRequest(message, context);
        _challenged = new Challenged(context);
        return true;
    }

    /// <summary>The token request a Key Vault challenge asks for, or null when the challenge is not one to follow.</summary>
    private TokenRequestContext? FromChallenge(HttpMessage message)
    {
        if (!message.Response.Headers.TryGetValue("WWW-Authenticate", out var header)
            || !header.TrimStart().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parameters = ChallengeParameter().Matches(header).ToDictionary(
            match => match.Groups["name"].Value, match => match.Groups["value"].Value, StringComparer.OrdinalIgnoreCase);
        var resource = parameters.GetValueOrDefault("resource");
        var authorization = parameters.GetValueOrDefault("authorization") ?? parameters.GetValueOrDefault("authorization_uri");
        if (!Uri.TryCreate(resource, UriKind.Absolute, out var resourceUri) || !IsVaultDomain(resourceUri))
        {
            return null;
        }

        var tenant = Uri.TryCreate(authorization, UriKind.Absolute, out var authority)
            ? authority.AbsolutePath.Trim('/').Split('/')[0]
            : null;
        return new TokenRequestContext(
            [resourceUri.GetLeftPart(UriPartial.Authority) + "/.default"],
            parentRequestId: message.Request.ClientRequestId,
            tenantId: string.IsNullOrEmpty(tenant) ? null : tenant);
    }

    /// <summary>The vault's host must be in the resource's domain (myvault.vault.azure.net in vault.azure.net).</summary>
    private bool IsVaultDomain(Uri resource) =>
        resource.Scheme == Uri.UriSchemeHttps
        && vaultUri.Host.EndsWith("." + resource.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>One <c>name="value"</c> parameter of a challenge (Azure.Core's own parser is internal to it).</summary>
    [GeneratedRegex("(?<name>[A-Za-z_]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex ChallengeParameter();

    private sealed record Challenged(TokenRequestContext Context);
}
