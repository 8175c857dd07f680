using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.ServiceDefaults.Auth;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KeyService.IntegrationTests;

/// <summary>X1: no client input yields a 5xx. Each malformed request of issue 10 answers a 4xx ProblemDetails with a
/// rule, and the event store and the vault are exactly as they were.</summary>
public sealed class ClientInputTests(KestrelKeyServiceFixture fixture) : IClassFixture<KestrelKeyServiceFixture>
{
    private const string Region = "europe";
    private const string Password = "a long enough password";

    [Fact]
    [Trait("Rule", "X1")]
    public async Task An_enablement_whose_body_is_not_JSON_is_a_400_with_rule_VALIDATION_and_nothing_is_stored_X1()
    {
        var tenant = NewTenant();
        var before = await StoredAsync();

        var response = await fixture.Host.OperatorClient().PutAsync($"/v1/tenants/{tenant}/enablement",
            new StringContent("this is { not json", Encoding.UTF8, "application/json"));

        await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        (await StoredAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "X1")]
    public async Task An_enablement_with_a_word_for_a_licence_count_is_a_400_naming_the_field_and_nothing_is_stored_X1()
    {
        var tenant = NewTenant();
        var before = await StoredAsync();

        var response = await fixture.Host.OperatorClient().PutAsync($"/v1/tenants/{tenant}/enablement",
            new StringContent("""{"appPerUserLicences": "many", "enterpriseLicences": 0}""", Encoding.UTF8, "application/json"));

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").TryGetProperty("appPerUserLicences", out _).ShouldBeTrue(problem.ToString());
        (await StoredAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "X1")]
    public async Task An_enablement_sent_as_a_form_is_a_415_with_rule_VALIDATION_X1()
    {
        var tenant = NewTenant();
        var before = await StoredAsync();

        var response = await fixture.Host.OperatorClient().PutAsync($"/v1/tenants/{tenant}/enablement",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["appPerUserLicences"] = "2000" }));

        await response.ShouldBeRefusedAsync(HttpStatusCode.UnsupportedMediaType, Rules.Validation);
        (await StoredAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "K2")]
    public async Task A_key_upload_of_20_MB_is_a_413_naming_K2_and_nothing_is_stored_X1_K2()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var before = await StoredAsync();

        // Expect: 100-continue lets the client read the refusal instead of writing 20 MB into a closed connection.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{tenant}/regions/{Region}/keys")
        {
            Content = KeyFiles.Upload("big", new byte[20 * 1024 * 1024], "big.pfx", Password),
        };
        request.Headers.ExpectContinue = true;
        var response = await admin.SendAsync(request);

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.RequestEntityTooLarge, Rules.K2);
        problem.GetProperty("detail").GetString()!.ShouldContain("key file is at most");
        (await StoredAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "T1")]
    public async Task Licence_counts_of_int_max_each_are_a_400_naming_both_fields_not_an_overflowed_T1_refusal_X1_T1()
    {
        var tenant = NewTenant();
        var before = await StoredAsync();

        var response = await fixture.Host.OperatorClient().PutAsJsonAsync($"/v1/tenants/{tenant}/enablement",
            new { appPerUserLicences = int.MaxValue, enterpriseLicences = int.MaxValue });

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        var errors = problem.GetProperty("errors");
        errors.TryGetProperty("appPerUserLicences", out _).ShouldBeTrue(problem.ToString());
        errors.TryGetProperty("enterpriseLicences", out _).ShouldBeTrue(problem.ToString());
        (await StoredAsync()).ShouldBe(before);
    }

    public static TheoryData<string, string> BadKeyNames => new()
    {
        { "100,000 characters", new string('k', 100_000) },
        { "a NUL", "key\0name" },
        { "a right-to-left override", "key\u202Efdp.exe" },
        { "only a line break", "\n" },
    };

    [Theory]
    [Trait("Rule", "X1")]
    [MemberData(nameof(BadKeyNames))]
    public async Task Generating_a_key_whose_name_has_too_many_or_unprintable_characters_is_a_400_and_nothing_is_stored_X1(
        string what, string name)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var before = await StoredAsync();

        var response = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/generate",
            new { name, password = Password, confirmPassword = Password, acknowledgeRisk = true });

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue($"{what}: {problem}");
        (await StoredAsync()).ShouldBe(before);
    }

    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "K4")]
    [MemberData(nameof(BadKeyNames))]
    public async Task Uploading_a_key_whose_name_has_too_many_or_unprintable_characters_is_a_400_and_nothing_is_stored_X1_K4(
        string what, string name)
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var (pfx, _) = KeyFiles.DotNetPfx(Password);
        var before = await StoredAsync();

        var response = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys", KeyFiles.Upload(name, pfx, "key.pfx", Password));

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.ToString().ShouldContain("name", Case.Insensitive, what);
        (await StoredAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "K7")]
    public async Task Activating_the_key_that_is_already_Active_answers_200_with_its_state_and_appends_nothing_K7()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var uploaded = await admin.PostAsync($"/v1/tenants/{tenant}/regions/{Region}/keys",
            KeyFiles.Upload("first", KeyFiles.DotNetPfx(Password).Pfx, "key.pfx", Password));
        uploaded.StatusCode.ShouldBe(HttpStatusCode.Created, await uploaded.Content.ReadAsStringAsync());
        var keyId = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("keyId").GetString()!;
        await Eventually.GetAsync(async () =>
        {
            var inventory = JsonDocument.Parse(await admin.GetStringAsync($"/v1/tenants/{tenant}/regions/{Region}/keys")).RootElement;
            return inventory.GetProperty("keys").EnumerateArray().Any(k => k.GetProperty("keyId").GetString() == keyId
                && k.GetProperty("state").GetString() == "Active") ? "active" : null;
        }, "the first key to be Active (K5)");
        var before = await StoredAsync();

        var response = await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/regions/{Region}/keys/{keyId}/activate", new { acknowledgeRisk = true });

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        var state = JsonDocument.Parse(body).RootElement;
        state.GetProperty("keyId").GetString().ShouldBe(keyId);
        state.GetProperty("state").GetString().ShouldBe("Active");
        (await StoredAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "X1")]
    public async Task The_OpenAPI_document_describes_the_upload_form_with_its_limits_and_its_refusals_X1()
    {
        var document = JsonDocument.Parse(await fixture.Host.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        var upload = document.GetProperty("paths").GetProperty("/v1/tenants/{tenantId}/regions/{region}/keys").GetProperty("post");
        var form = upload.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        var text = Resolved(document, form);
        text.ShouldContain("\"file\"");
        text.ShouldContain("\"password\"");
        System.Text.RegularExpressions.Regex.IsMatch(text, "\"maxLength\":\\s*100\\b").ShouldBeTrue(text);
        var responses = upload.GetProperty("responses");
        foreach (var status in new[] { "201", "400", "403", "409", "413" })
            responses.TryGetProperty(status, out _).ShouldBeTrue($"{status} in {responses}");
    }

    /// <summary>A schema's JSON with the components it refers to (one level) appended.</summary>
    private static string Resolved(JsonElement document, JsonElement schema)
    {
        var text = schema.ToString();
        foreach (System.Text.RegularExpressions.Match reference in System.Text.RegularExpressions.Regex.Matches(text, "#/components/schemas/([A-Za-z0-9_.-]+)"))
            text += document.GetProperty("components").GetProperty("schemas").GetProperty(reference.Groups[1].Value).ToString();
        return text;
    }

    private static string NewTenant() => $"tenant-{TestInfrastructure.UniqueSuffix()}";

    /// <summary>Every event of the service's store and every key of the vault (key-exchange keys aside).</summary>
    private async Task<(long Events, long VaultKeys)> StoredAsync()
    {
        await fixture.Host.Services.GetRequiredService<IKeyVault>().GetOrCreateKeyExchangeKeyAsync(Region); // the vault's table exists
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var events = new NpgsqlCommand($"select count(*) from \"{fixture.Host.Schema}\".mt_events", connection);
        await using var keys = new NpgsqlCommand(
            $"select count(*) from \"{fixture.Broker.Schema("vault")}\".keys where purpose <> 'key-exchange'", connection);
        return ((long)(await events.ExecuteScalarAsync())!, (long)(await keys.ExecuteScalarAsync())!);
    }
}
