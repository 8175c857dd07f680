using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.EnvironmentEncryption.DataKeys;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.Environments.Status;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.ServiceDefaults.Messaging;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using KeyPlatform.Vault.Local;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace EnvironmentEncryption.IntegrationTests.Support;

/// <summary>KeyService and EnvironmentEncryption in-process on the real PostgreSQL and RabbitMQ (one virtual host,
/// one vault schema, one fake clock), as the platform runs them, with helpers that drive them like their callers.</summary>
public class PlatformFixture : IAsyncLifetime
{
    public const string Region = "europe";

    public TestBroker Broker { get; } = new();
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    public CapturedLogs Logs { get; } = new();
    public ServiceHost<KeyServiceApp> Keys { get; private set; } = null!;
    public ServiceHost<EnvironmentEncryptionApp> Environments { get; private set; } = null!;

    protected virtual IDictionary<string, string?> EnvironmentSettings => new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Debug",
        ["Logging:Console:LogLevel:Default"] = "Warning",
    };

    public GatedKeyVault Vault => (GatedKeyVault)Environments.Services.GetRequiredService<IKeyVault>();
    public DataKeyCache Cache => Environments.Services.GetRequiredService<DataKeyCache>();
    public IBus Bus => Environments.Services.GetRequiredService<IBus>();

    /// <summary>Another platform service (its broker user), sending commands with a user's token.</summary>
    public TestBus PlatformBus { get; private set; } = null!;

    /// <summary>A stand-in for the tenant-lock saga (its broker user), for the commands only the saga sends.</summary>
    public TestBus SagaBus { get; private set; } = null!;

    /// <summary>A stand-in for KeyService (its broker user), for the integration events it owns.</summary>
    public TestBus KeyServiceBus { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        PlatformBus = await TestBus.StartAsync(Broker, Sender.PlatformService);
        SagaBus = await TestBus.StartAsync(Broker, Sender.TenantLock);
        KeyServiceBus = await TestBus.StartAsync(Broker, Sender.KeyService);
        Environments = StartEnvironments();
        Keys = new ServiceHost<KeyServiceApp>(Broker, "keys", Clock,
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
        _ = Keys.CreateClient();
    }

    /// <summary>A (new) EnvironmentEncryption host on this fixture's schema, queue and vault.</summary>
    public ServiceHost<EnvironmentEncryptionApp> StartEnvironments()
    {
        var host = new ServiceHost<EnvironmentEncryptionApp>(Broker, "environments", Clock, EnvironmentSettings, services =>
        {
            services.AddSingleton<ILoggerProvider>(Logs);
            services.AddSingleton<IKeyVault>(sp => new GatedKeyVault(sp.GetRequiredService<LocalKeyVault>()));
        });
        _ = host.CreateClient();
        return host;
    }

    public void ReplaceEnvironments(ServiceHost<EnvironmentEncryptionApp> host) => Environments = host;

    public virtual async Task DisposeAsync()
    {
        await StopAsync(Environments);
        await StopAsync(Keys);
        await PlatformBus.DisposeAsync();
        await SagaBus.DisposeAsync();
        await KeyServiceBus.DisposeAsync();
        await Broker.DisposeAsync();
    }

    /// <summary>Stops the bus first (what is in flight finishes, the rest stays queued), then the host: disposing a
    /// WebApplicationFactory tears its services down while consumers may still be running.</summary>
    public static async Task StopAsync<TProgram>(ServiceHost<TProgram> host) where TProgram : class
    {
        await host.Services.GetRequiredService<IBusControl>().StopAsync(TimeSpan.FromSeconds(30));
        await host.DisposeAsync();
    }

    // ---------------------------------------------------------------- callers

    public HttpClient KeyAdmin(string tenant) => Keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
    public HttpClient Admin(string tenant) => Environments.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
    public HttpClient EnvironmentAdmin(string tenant, params string[] environments) =>
        Environments.ClientFor(tenant, [PlatformRoles.EnvironmentAdmin], environments);
    public HttpClient Operator() => Environments.OperatorClient();
    public HttpClient Storage() => Environments.ClientFor("*", StorageRoles.PlatformStorageService);

    /// <summary>The identity the tenant-lock saga sends its commands with.</summary>
    public static readonly Actor Saga = Actor.Service(Sender.TenantLock);

    /// <summary>A tenant admin as a bus principal.</summary>
    public static Actor TenantAdmin(string tenant) =>
        new($"admin@{tenant}", tenant, new HashSet<string> { PlatformRoles.PowerPlatformAdmin }, new HashSet<string>());

    /// <summary>Sends a command to EnvironmentEncryption: as the saga (no actor, or <see cref="Saga"/>), or as a
    /// platform service acting for <paramref name="actor"/>, with a token of that user.</summary>
    public Task<Guid> SendAsync<T>(T command, Actor? actor = null) where T : class =>
        actor is null || actor.IsService(Sender.TenantLock)
            ? SagaBus.SendAsServiceAsync(Queues.EnvironmentEncryption, command, actor ?? Saga)
            : PlatformBus.SendAsync(Queues.EnvironmentEncryption, command, TokenOf(actor));

    /// <summary>A token of the actor, signed as the services expect.</summary>
    public string TokenOf(Actor actor) =>
        DevTokens.Mint(Environments.Jwt, actor.Subject, actor.TenantId, actor.Roles, actor.Environments);

    /// <summary>Whether the service has applied the message (its inbox records it in the same transaction).</summary>
    public async Task<bool> HandledAsync(string handler, Guid messageId)
    {
        await using var session = Environments.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession();
        return await session.AlreadyHandledAsync(handler, messageId, CancellationToken.None);
    }

    // ---------------------------------------------------------------- tenants and keys (through KeyService)

    /// <summary>A new tenant with the feature on, known to EnvironmentEncryption.</summary>
    public async Task<string> TenantAsync()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        (await Keys.OperatorClient().PutAsync($"/v1/tenants/{tenant}/enablement",
            System.Net.Http.Json.JsonContent.Create(new { appPerUserLicences = 1200, enterpriseLicences = 0 }))).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(async () => (await FactsAsync(tenant))?.FeatureEnabled == true, "EnvironmentEncryption to learn the tenant is enabled");
        return tenant;
    }

    public async Task<TenantFacts?> FactsAsync(string tenant)
    {
        var response = await Operator().GetAsync($"/v1/tenants/{tenant}/facts");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.ReadAsync<TenantFacts>();
    }

    public sealed record ActiveKey(string KeyId, TenantKeyFile File, ActiveTenantKey Facts);

    /// <summary>Uploads a key to KeyService; as the first of the region it becomes Active (K5), and
    /// EnvironmentEncryption learns it.</summary>
    public async Task<ActiveKey> FirstKeyAsync(string tenant, string region = Region)
    {
        var file = TenantKeyFile.Create();
        var uploaded = await (await KeyAdmin(tenant).PostAsync($"/v1/tenants/{tenant}/regions/{region}/keys", file.Upload($"first-{region}")))
            .ReadAsync<UploadedKey>();
        return new ActiveKey(uploaded.KeyId, file, await WaitForActiveKeyAsync(tenant, region, uploaded.KeyId));
    }

    /// <summary>Uploads another key and activates it 25 hours later (K9), as a tenant admin would.</summary>
    public async Task<ActiveKey> ActivateAnotherKeyAsync(string tenant, string region = Region)
    {
        var file = TenantKeyFile.Create();
        var uploaded = await (await KeyAdmin(tenant).PostAsync($"/v1/tenants/{tenant}/regions/{region}/keys",
            file.Upload($"key-{TestInfrastructure.UniqueSuffix()}"))).ReadAsync<UploadedKey>();
        Clock.Advance(TimeSpan.FromHours(25));
        (await KeyAdmin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/regions/{region}/keys/{uploaded.KeyId}/activate",
            new { acknowledgeRisk = true })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        return new ActiveKey(uploaded.KeyId, file, await WaitForActiveKeyAsync(tenant, region, uploaded.KeyId));
    }

    public Task<ActiveTenantKey> WaitForActiveKeyAsync(string tenant, string region, string keyId) =>
        Eventually.GetAsync(async () => (await FactsAsync(tenant))?.ActiveKey(region) is { } active && active.KeyId == keyId ? active : null,
            $"EnvironmentEncryption to learn key {keyId} is active");

    public sealed record UploadedKey(string KeyId, string Thumbprint);

    // ---------------------------------------------------------------- environments

    public async Task<string> RegisterAsync(string tenant, string region = Region, EnvironmentType type = EnvironmentType.Sandbox,
        EnvironmentStorage storage = EnvironmentStorage.SingleStore, string version = "9.2.24011.00200", DateTimeOffset? createdAt = null,
        string? name = null)
    {
        var id = $"env-{TestInfrastructure.UniqueSuffix()}";
        var response = await Operator().PostJsonAsync($"/v1/tenants/{tenant}/environments", new
        {
            environmentId = id, region, name = name ?? $"Environment {id}", type, storage, version,
            createdAt = createdAt ?? Clock.GetUtcNow().AddMinutes(1),
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return id;
    }

    /// <summary>A new tenant with an active key and an environment under it holding one record ("invoice-7").</summary>
    public async Task<(string Tenant, ActiveKey Key, string Environment)> EnvironmentUnderTenantKeyAsync()
    {
        var tenant = await TenantAsync();
        var key = await FirstKeyAsync(tenant);
        var environment = await RegisterAsync(tenant);
        await WriteOkAsync(tenant, environment, "invoice-7", "EUR 1,200.00 due 2026-04-01");
        await ApplyAndWaitAsync(tenant, environment);
        return (tenant, key, environment);
    }

    public async Task<EnvironmentStatusView> StatusAsync(string tenant, string environment) =>
        await (await Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{environment}")).ReadAsync<EnvironmentStatusView>();

    public Task<EnvironmentStatusView> WaitForStatusAsync(string tenant, string environment, Func<EnvironmentStatusView, bool> match, string what,
        TimeSpan? timeout = null) =>
        Eventually.GetAsync(async () => await StatusAsync(tenant, environment) is var status && match(status) ? status : null,
            $"{environment} to be {what}", timeout);

    public Task<HttpResponseMessage> ApplyAsync(string tenant, string environment, bool acknowledgeRisk = true) =>
        Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{environment}/encryption/apply", new { acknowledgeRisk });

    /// <summary>E2 end to end: apply, then wait until the environment is Active under the tenant key.</summary>
    public async Task<EnvironmentStatusView> ApplyAndWaitAsync(string tenant, string environment)
    {
        (await ApplyAsync(tenant, environment)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        return await WaitForStatusAsync(tenant, environment,
            s => s is { State: KeyPlatform.EnvironmentEncryption.Environments.EnvironmentState.Active, Protection: EnvironmentProtection.TenantKey },
            "Active under the tenant key");
    }

    // ---------------------------------------------------------------- the environment's store and its data key

    public Task<HttpResponseMessage> WriteAsync(string tenant, string environment, string recordId, byte[] content,
        RecordKind kind = RecordKind.Data)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return Storage().PutAsync($"/v1/tenants/{tenant}/environments/{environment}/records/{recordId}?kind={kind}", body);
    }

    public async Task WriteOkAsync(string tenant, string environment, string recordId, string content)
    {
        var response = await WriteAsync(tenant, environment, recordId, System.Text.Encoding.UTF8.GetBytes(content));
        response.StatusCode.ShouldBe(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
    }

    public Task<HttpResponseMessage> ReadAsync(string tenant, string environment, string recordId) =>
        Storage().GetAsync($"/v1/tenants/{tenant}/environments/{environment}/records/{recordId}");

    public async Task<string> ReadOkAsync(string tenant, string environment, string recordId)
    {
        var response = await ReadAsync(tenant, environment, recordId);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadAsStringAsync();
    }

    public Task<HttpResponseMessage> ReleaseAsync(string tenant, string environment) =>
        Storage().PostAsync($"/v1/tenants/{tenant}/environments/{environment}/data-key/release", null);
}
