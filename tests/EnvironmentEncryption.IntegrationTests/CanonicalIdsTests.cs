using System.Net;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Messaging;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using Npgsql;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>X3 at EnvironmentEncryption's edges: environment ids become stream keys (<c>environment:{id}</c>), so an id
/// with ':' or whitespace, or a region in another spelling, is refused over HTTP and the bus, and nothing is stored.</summary>
[Collection(PlatformCollection.Name)]
public sealed class CanonicalIdsTests(PlatformFixture platform)
{
    public static TheoryData<string> BadEnvironmentIds => new()
    {
        "env:1", "env 1", " env-1", "env-1 ", "env\t1", "env-1\n", "Env-1", "env\u00a01", "",
    };

    public static TheoryData<string> OtherSpellingsOfEurope => new() { " europe", "Europe ", "europe\u00a0", "Europe", "made-up" };

    [Theory]
    [Trait("Rule", "X3")]
    [MemberData(nameof(BadEnvironmentIds))]
    public async Task Registering_an_environment_id_with_a_colon_whitespace_or_another_case_is_refused_over_HTTP_X3(string environmentId)
    {
        var tenant = await platform.TenantAsync();

        var response = await Register(tenant, environmentId, PlatformFixture.Region);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        (await response.ProblemAsync()).Rule.ShouldBe(Rules.X3);
        (await StreamsNamingAsync(tenant)).ShouldBe(0);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [MemberData(nameof(OtherSpellingsOfEurope))]
    public async Task Registering_in_another_spelling_of_a_region_or_an_unknown_one_is_refused_over_HTTP_X3(string region)
    {
        var tenant = await platform.TenantAsync();
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";

        var response = await Register(tenant, environment, region);

        (await response.ProblemAsync()).Rule.ShouldBe(Rules.X3);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await StreamsNamingAsync(environment)).ShouldBe(0);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("env:1", "europe")]
    [InlineData("env 1", "europe")]
    [InlineData("env-ok", " europe")]
    [InlineData("env-ok", "Europe")]
    public async Task Registering_with_a_bad_id_over_the_bus_is_refused_and_nothing_is_stored_X3(string environmentId, string region)
    {
        var tenant = await platform.TenantAsync();
        await using var refused = await BusProbe<CommandRefused>.StartAsync(platform.Bus);

        var commandId = await platform.SendAsync(new RegisterEnvironment(tenant, region, environmentId, "From the bus", EnvironmentType.Sandbox,
            EnvironmentStorage.SingleStore, "9.2.24011.00200", platform.Clock.GetUtcNow().AddMinutes(1)), new Actor("provisioning", "*", new HashSet<string> { PlatformRoles.PlatformOperator }, new HashSet<string>()));

        (await refused.WaitForAsync(r => r.CommandId == commandId, "the X3 refusal")).Message.Rule.ShouldBe(Rules.X3);
        (await StreamsNamingAsync(tenant)).ShouldBe(0);
    }

    [Theory]
    [Trait("Rule", "X3")]
    [InlineData("env:1")]
    [InlineData("Env-1")]
    public async Task A_command_on_an_environment_id_that_is_not_canonical_is_refused_before_any_handler_X3(string environmentId)
    {
        var tenant = await platform.TenantAsync();

        await platform.Admin(tenant).PostJsonAsync($"/v1/tenants/{tenant}/environments/{Uri.EscapeDataString(environmentId)}/encryption/apply",
            new { acknowledgeRisk = true }).ShouldBeRefusedByAsync(Rules.X3, "environment id");
    }

    [Fact]
    [Trait("Rule", "X3")]
    public async Task Reading_an_environment_by_an_id_that_is_not_canonical_is_refused_not_looked_up_X3()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);

        await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{Uri.EscapeDataString(environment.ToUpperInvariant())}")
            .ShouldBeRefusedByAsync(Rules.X3);
        await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{Uri.EscapeDataString(" " + environment)}")
            .ShouldBeRefusedByAsync(Rules.X3);
        (await platform.StatusAsync(tenant, environment)).EnvironmentId.ShouldBe(environment);
    }

    private Task<HttpResponseMessage> Register(string tenant, string environmentId, string region) =>
        platform.Operator().PostJsonAsync($"/v1/tenants/{tenant}/environments", new
        {
            environmentId, region, name = "X3", type = EnvironmentType.Sandbox, storage = EnvironmentStorage.SingleStore,
            version = "9.2.24011.00200", createdAt = platform.Clock.GetUtcNow().AddMinutes(1),
        });

    /// <summary>Environment streams whose events name the tenant or whose key holds the text.</summary>
    private async Task<long> StreamsNamingAsync(string text)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*) from \"{platform.Environments.Schema}\".mt_events where stream_id like 'environment:%' " +
            "and (position(@text in stream_id) > 0 or position(@text in data::text) > 0)", connection);
        command.Parameters.AddWithValue("text", text);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
