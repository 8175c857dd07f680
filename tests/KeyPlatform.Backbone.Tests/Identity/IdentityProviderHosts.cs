using KeyPlatform.Testing;
using KeyPlatform.Testing.Identity;
using Microsoft.IdentityModel.Tokens;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using KeyServiceApp = KeyPlatform.KeyService.Program;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace KeyPlatform.Backbone.Tests.Identity;

/// <summary>The three services trusting one in-process OpenID provider (discovery + JWKS over HTTP) that publishes an
/// RS256, a PS256 and an ES256 key. Shared by a test class: its tests do not rotate keys.</summary>
public sealed class IdentityProviderHosts : IAsyncLifetime
{
    public TestBroker Broker { get; } = new();
    public TestIdentityProvider Provider { get; private set; } = null!;
    public ProviderKey Rs256 { get; private set; } = null!;
    public ProviderKey Ps256 { get; private set; } = null!;
    public ProviderKey Es256 { get; private set; } = null!;
    public ServiceHost<KeyServiceApp> Keys { get; private set; } = null!;
    public ServiceHost<EnvironmentEncryptionApp> Environments { get; private set; } = null!;
    public ServiceHost<TenantLockApp> Locks { get; private set; } = null!;

    /// <summary>A request each service answers only for an authenticated caller, by service name.</summary>
    public IReadOnlyDictionary<string, (Func<HttpClient> Client, Func<string, string> Path)> Services { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        Provider = await TestIdentityProvider.StartAsync();
        Rs256 = Provider.Current;
        Ps256 = Provider.AddKey(SecurityAlgorithms.RsaSsaPssSha256);
        Es256 = Provider.AddKey(SecurityAlgorithms.EcdsaSha256);
        var settings = Provider.ServiceSettings();
        Keys = new ServiceHost<KeyServiceApp>(Broker, "keys_oidc", settings: settings);
        Environments = new ServiceHost<EnvironmentEncryptionApp>(Broker, "environments_oidc", settings: settings);
        Locks = new ServiceHost<TenantLockApp>(Broker, "locks_oidc", settings: settings);
        Services = new Dictionary<string, (Func<HttpClient>, Func<string, string>)>
        {
            ["KeyService"] = (Keys.CreateClient, tenant => $"/v1/tenants/{tenant}/enablement"),
            ["EnvironmentEncryption"] = (Environments.CreateClient, tenant => $"/v1/tenants/{tenant}/environments"),
            ["TenantLock"] = (Locks.CreateClient, tenant => $"/v1/tenants/{tenant}/locks"),
        };
    }

    public async Task DisposeAsync()
    {
        await Keys.DisposeAsync();
        await Environments.DisposeAsync();
        await Locks.DisposeAsync();
        await Provider.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
