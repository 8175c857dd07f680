using System.Net;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using Npgsql;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace TenantLock.IntegrationTests;

/// <summary>The saga's host, on real PostgreSQL and RabbitMQ, for the X3 checks of its routes.</summary>
public sealed class TenantLockHost : IAsyncLifetime
{
    public TestBroker Broker { get; } = new();
    public ServiceHost<TenantLockApp> Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        Host = new ServiceHost<TenantLockApp>(Broker, "tenant_lock");
        _ = Host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

/// <summary>X3 at the saga's edge: lock progress, the lock challenge, the lock itself and the dashboard refuse a tenant
/// or region id in any but its canonical form, and no lock cycle stream is started for it.</summary>
public sealed class CanonicalIdsTests(TenantLockHost fixture) : IClassFixture<TenantLockHost>
{
    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("/lock")]
    [InlineData("/lock/challenge")]
    public async Task Lock_progress_and_challenge_of_another_spelling_of_the_region_are_refused_X3(string path)
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        var admin = fixture.Host.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);

        foreach (var region in new[] { " europe", "Europe ", "europe\u00a0", "Europe", "made-up" })
            await ShouldBeRefusedByX3(await admin.GetAsync($"/v1/tenants/{tenant}/regions/{Uri.EscapeDataString(region)}{path}"));
        (await admin.GetAsync($"/v1/tenants/{tenant}/regions/europe/lock/challenge")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    [Trait("Rule", "X3")]
    public async Task A_lock_of_another_spelling_of_the_region_is_refused_and_starts_no_lock_cycle_X3()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        var admin = fixture.Host.ClientFor(tenant, PlatformRoles.PowerPlatformAdmin);
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent([1, 2, 3]), "file", "key.pfx" }, { new StringContent("a password"), "password" },
            { new StringContent($"LOCK {tenant} Europe"), "confirmationText" }, { new StringContent("true"), "acknowledgeRisk" },
        };

        await ShouldBeRefusedByX3(await admin.PostAsync($"/v1/tenants/{tenant}/regions/Europe/lock", form));

        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var streams = new NpgsqlCommand(
            $"select count(*) from \"{fixture.Host.Schema}\".mt_streams where position(@tenant in id) > 0", connection);
        streams.Parameters.AddWithValue("tenant", tenant);
        ((long)(await streams.ExecuteScalarAsync())!).ShouldBe(0);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("/v1/tenants/{0}/locks")]
    [InlineData("/v1/tenants/{0}/lock-status")]
    [InlineData("/v1/dashboard/tenants/{0}")]
    public async Task Reads_by_a_tenant_id_that_is_not_canonical_are_refused_X3(string path)
    {
        foreach (var tenant in new[] { "Contoso", " contoso", "con:toso", "contoso\u00a0" })
            await ShouldBeRefusedByX3(await fixture.Host.OperatorClient().GetAsync(string.Format(path, Uri.EscapeDataString(tenant))));
    }

    private static async Task ShouldBeRefusedByX3(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        JsonDocument.Parse(body).RootElement.GetProperty("rule").GetString().ShouldBe(Rules.X3);
    }
}

/// <summary>X1: the saga's operations tell a client what they answer on success.</summary>
public sealed class OpenApiAnswerTests(TenantLockHost fixture) : IClassFixture<TenantLockHost>
{
    [Fact]
    [Trait("Rule", "X1")]
    public async Task Every_operation_of_TenantLock_declares_what_it_answers_on_success_X1()
    {
        var document = JsonDocument.Parse(await fixture.Host.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        OpenApiAnswers.WithoutSuccessAnswer(document).ShouldBeEmpty();
        OpenApiAnswers.Resolve(document, OpenApiAnswers.SuccessSchema(document, "/v1/tenants/{tenantId}/regions/{region}/lock/challenge", "get"))
            .GetProperty("properties").TryGetProperty("confirmationText", out _).ShouldBeTrue();
    }
}
