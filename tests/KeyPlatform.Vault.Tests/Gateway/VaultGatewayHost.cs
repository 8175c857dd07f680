using System.Security.Cryptography;
using System.Text;
using KeyPlatform.KeyService.VaultGateway;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.Resilience;
using KeyPlatform.Vault.Tests.Support;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>
/// KeyService's vault gateway endpoints (<see cref="VaultGatewayEndpoints"/>) in a minimal in-process host over a real local
/// store in this fixture's schema, with its import records in Marten in the same database, and the gateway's two clients
/// configured with a secret each. <see cref="Client"/> gives a <see cref="VaultGatewayKeyVault"/> as a calling service has it.
/// </summary>
public sealed class VaultGatewayHost : IAsyncLifetime
{
    public static readonly string EnvironmentEncryptionSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
    public static readonly string TenantLockSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    private WebApplication? _app;

    public VaultDatabase Database { get; } = new();

    /// <summary>The schema of the gateway's Marten documents (its import records).</summary>
    public string MartenSchema { get; }

    public VaultGatewayHost() => MartenSchema = Database.NewSchemaName();

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{VaultGatewayCredentials.Section}:{VaultGatewayClients.EnvironmentEncryption}:SecretSha256"] = Sha256(EnvironmentEncryptionSecret),
            [$"{VaultGatewayCredentials.Section}:{VaultGatewayClients.TenantLock}:SecretSha256"] = Sha256(TenantLockSecret),
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IKeyVault>(new ResilientKeyVault(Database.Vault));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMarten(marten =>
        {
            marten.Connection(VaultDatabase.ConnectionString);
            marten.DatabaseSchemaName = MartenSchema;
            marten.Events.StreamIdentity = JasperFx.Events.StreamIdentity.AsString; // as KeyService's streams
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddAuthentication();
        builder.Services.AddAuthorization();
        builder.Services.AddVaultGateway(builder.Configuration);
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapVaultGateway();
        await _app.StartAsync();
    }

    public HttpClient Http(string? authorization)
    {
        var http = _app!.GetTestClient();
        http.BaseAddress = new Uri("http://keyservice/");
        if (authorization is not null)
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(VaultGatewayProtocol.AuthorizationScheme, authorization);
        return http;
    }

    /// <summary>The gateway adapter as <paramref name="client"/> has it (behind the resilient decorator, as registered).</summary>
    public IKeyVault Client(string client, string? secret = null) =>
        new ResilientKeyVault(new VaultGatewayKeyVault(Http($"{client}:{secret ?? SecretOf(client)}"), client));

    /// <summary>Appends KeyService events to a stream of the gateway's store, as KeyService's handlers do.</summary>
    public async Task AppendAsync(string streamKey, params object[] events)
    {
        await using var session = _app!.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        session.Events.Append(streamKey, events);
        await session.SaveChangesAsync();
    }

    public static string SecretOf(string client) =>
        client == VaultGatewayClients.TenantLock ? TenantLockSecret : EnvironmentEncryptionSecret;

    private static string Sha256(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        await Database.DisposeAsync();
    }
}
