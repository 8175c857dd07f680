using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyServiceApp = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Operations.Tests;

/// <summary>A tenant after the key story, and its two keys.</summary>
public sealed record KeyStory(string Tenant, string First, string Second)
{
    public string Ring => OperationsFixture.RingStream(Tenant);
}

[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<OperationsFixture>
{
    public const string Name = "operations";
}

/// <summary>KeyService in-process on the real PostgreSQL and RabbitMQ with a fake clock, shared by every test of the
/// collection (each test works in tenants of its own).</summary>
public sealed class OperationsFixture : IAsyncLifetime
{
    public const string Region = "europe";
    public const string FixturePassword = "test-password-K2";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public TestBroker Broker { get; } = new();
    public ServiceHost<KeyServiceApp> Keys { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        Keys = new ServiceHost<KeyServiceApp>(Broker, "keys");
        _ = Keys.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await Keys.DisposeAsync();
        await Broker.DisposeAsync();
    }

    private Task<KeyStory>? sharedStory;

    /// <summary>One key story for the tests that only read it (created by the first of them).</summary>
    public Task<KeyStory> SharedStoryAsync() => sharedStory ??= NewStoryAsync();

    public async Task<KeyStory> NewStoryAsync()
    {
        var tenant = NewTenant();
        var (first, second) = await KeyStoryAsync(tenant);
        return new KeyStory(tenant, first, second);
    }

    public static string NewTenant() => $"tenant-{TestInfrastructure.UniqueSuffix()}";

    public HttpClient Operator() => Keys.OperatorClient();

    public HttpClient AdminOf(string tenant) => Keys.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);

    /// <summary>The feature on for the tenant (T1), by an operator, with a correlation id of our own.</summary>
    public async Task EnableAsync(string tenant, string correlationId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/tenants/{tenant}/enablement")
        {
            Content = JsonContent.Create(new { appPerUserLicences = 1200, enterpriseLicences = 0 }),
        };
        request.Headers.Add("X-Correlation-Id", correlationId);
        (await Operator().SendAsync(request)).EnsureSuccessStatusCode();
    }

    /// <summary>The key story: enable, upload a first key (activated automatically, K5), upload a second, activate it
    /// 24 hours later (K9). Returns the two key ids.</summary>
    public async Task<(string First, string Second)> KeyStoryAsync(string tenant)
    {
        await EnableAsync(tenant, $"enable-{tenant}");
        var admin = AdminOf(tenant);
        var first = await UploadAsync(admin, tenant, "first", File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rsa2048.pfx")),
            FixturePassword, $"upload-first-{tenant}");
        await WaitForStateAsync(admin, tenant, first, "Active");

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=second", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        const string password = "a long enough password";
        var second = await UploadAsync(admin, tenant, "second",
            certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password), password, $"upload-second-{tenant}");

        Keys.Clock.Advance(TimeSpan.FromHours(24));
        using var activate = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/regions/{Region}/keys/{second}/activate")
        {
            Content = JsonContent.Create(new { acknowledgeRisk = true }),
        };
        activate.Headers.Add("X-Correlation-Id", $"activate-{tenant}");
        var activated = await admin.SendAsync(activate);
        activated.StatusCode.ShouldBe(HttpStatusCode.Accepted, await activated.Content.ReadAsStringAsync());
        await WaitForStateAsync(admin, tenant, second, "Active");
        return (first, second);
    }

    private static async Task<string> UploadAsync(HttpClient admin, string tenant, string name, byte[] pfx, string password, string correlationId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/regions/{Region}/keys")
        {
            Content = new MultipartFormDataContent
            {
                { new StringContent(name), "name" },
                { new StringContent("true"), "acknowledgeRisk" },
                { new StringContent(password), "password" },
                { new ByteArrayContent(pfx), "file", $"{name}.pfx" },
            },
        };
        request.Headers.Add("X-Correlation-Id", correlationId);
        var response = await admin.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString()!;
    }

    private static Task WaitForStateAsync(HttpClient admin, string tenant, string keyId, string state) =>
        Eventually.TrueAsync(async () =>
        {
            var inventory = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{tenant}/regions/{Region}/keys");
            return inventory.GetProperty("keys").EnumerateArray()
                .Any(k => k.GetProperty("keyId").GetString() == keyId && k.GetProperty("state").GetString() == state);
        }, $"key {keyId} to be {state}");

    public static string RingStream(string tenant) => $"tenant-key:{tenant}:{Region}";

    public static string TenantStream(string tenant) => $"tenant:{tenant}";
}
