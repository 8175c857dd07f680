using System.Net;
using System.Text;
using System.Text.Json;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts;
using KeyPlatform.EnvironmentEncryption.DataKeys.Releasing;
using KeyPlatform.EnvironmentEncryption.Store;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Testing;
using Npgsql;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>X1 at EnvironmentEncryption's edge: each malformed registration or read of issue 10 answers a 4xx
/// ProblemDetails with a rule, and the event store is exactly as it was.</summary>
public sealed class ClientInputTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static Dictionary<string, object?> Registration(string environmentId) => new()
    {
        ["environmentId"] = environmentId,
        ["region"] = PlatformFixture.Region,
        ["name"] = "Finance",
        ["type"] = "Sandbox",
        ["storage"] = "SingleStore",
        ["version"] = "9.2.24011.00200",
        ["createdAt"] = "2026-03-02T10:00:00Z",
    };

    public static TheoryData<string, string, object?> BadRegistrations => new()
    {
        { "an unknown type", "type", "Spaceship" },
        { "a type by number", "type", 99 },
        { "an unknown storage", "storage", "Floppy" },
        { "a createdAt that is not a date", "createdAt", "yesterday" },
        { "a name with a NUL", "name", "Fin\0ance" },
        { "a name with a right-to-left override", "name", "Fin\u202Eecna" },
        { "a name of 100,000 characters", "name", new string('n', 100_000) },
        { "no createdAt", "createdAt", null },
        { "no type", "type", null },
        { "a version that is not one", "version", "nine" },
    };

    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "E1")]
    [MemberData(nameof(BadRegistrations))]
    public async Task Registering_an_environment_with_a_bad_field_is_a_400_naming_it_and_nothing_is_stored_X1_E1(
        string what, string field, object? value)
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        var body = Registration($"env-{TestInfrastructure.UniqueSuffix()}");
        if (value is null) body.Remove(field);
        else body[field] = value;
        var before = await EventsAsync();

        var response = await platform.Operator().PostAsync($"/v1/tenants/{tenant}/environments",
            new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue($"{what}: {problem}");
        (await EventsAsync()).ShouldBe(before);
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "E1")]
    public async Task The_same_registration_with_good_fields_is_accepted_E1()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        var before = await EventsAsync();

        var response = await platform.Operator().PostAsync($"/v1/tenants/{tenant}/environments",
            new StringContent(JsonSerializer.Serialize(Registration($"env-{TestInfrastructure.UniqueSuffix()}")), Encoding.UTF8,
                "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        (await EventsAsync()).ShouldBeGreaterThan(before);
    }

    public static TheoryData<string, string, string> BadBackupBodies => new()
    {
        { "backups", "backupId", "{\"backupId\":\"b\\u0000\"}" },
        { "backups", "backupId", "{\"backupId\":\"" + new string('b', 101) + "\"}" },
        { "backups", "label", "{\"label\":\"before\\u0000after\"}" },
        { "backups", "label", "{\"label\":\"gpj\\u202Eexe\"}" },
        { "backups", "label", "{\"label\":\"" + new string('l', 201) + "\"}" },
        { "restore", "backupId", "{\"backupId\":\"b\\u0000\"}" },
        { "restore", "backupId", "{\"backupId\":\"line\\nbreak\"}" },
        { "restore", "backupId", "{}" },
        { "copy", "targetEnvironmentId", "{\"targetEnvironmentId\":\"e\\u0000\"}" },
    };

    /// <summary>A field the request type declares is named in <c>errors</c> (VALIDATION); an id the command carries
    /// is refused by X3 before any handler runs.</summary>
    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D5")]
    [Trait("Rule", "E4")]
    [MemberData(nameof(BadBackupBodies))]
    public async Task A_backup_restore_or_copy_with_a_bad_id_or_label_is_a_400_naming_it_and_nothing_is_stored_X1_D5_E4(
        string operation, string field, string json)
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";
        var environment = $"env-{TestInfrastructure.UniqueSuffix()}";
        (await platform.Operator().PostAsync($"/v1/tenants/{tenant}/environments",
            new StringContent(JsonSerializer.Serialize(Registration(environment)), Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var before = await EventsAsync();

        var response = await platform.Admin(tenant).PostAsync($"/v1/tenants/{tenant}/environments/{environment}/{operation}",
            new StringContent(json, Encoding.UTF8, "application/json"));

        if (field == "targetEnvironmentId")
            (await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.X3)).GetProperty("detail").GetString()!
                .ShouldContain("target environment id");
        else
            (await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation)).GetProperty("errors")
                .TryGetProperty(field, out _).ShouldBeTrue($"{operation} {json}");
        (await EventsAsync()).ShouldBe(before);
    }

    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "S4")]
    [InlineData("page=2147483647&pageSize=500", "page")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("pageSize=-1", "pageSize")]
    public async Task Paging_outside_its_limits_is_a_400_naming_the_parameter_not_an_overflow_X1_S4(string query, string parameter)
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

        var response = await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments?{query}");

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").TryGetProperty(parameter, out _).ShouldBeTrue(problem.ToString());
    }

    [Fact]
    [Trait("Rule", "S4")]
    public async Task The_last_page_within_the_limits_is_an_empty_page_S4()
    {
        var tenant = $"tenant-{TestInfrastructure.UniqueSuffix()}";

        var response = await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments?page=1000000&pageSize=500");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        JsonDocument.Parse(body).RootElement.GetProperty("environments").GetArrayLength().ShouldBe(0);
    }

    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D2")]
    [InlineData("page=2147483647&pageSize=500", "page")]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("pageSize=0", "pageSize")]
    public async Task Paging_the_record_list_outside_its_limits_is_a_400_naming_the_parameter_X1(string query, string parameter)
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);

        var response = await platform.Storage().GetAsync($"/v1/tenants/{tenant}/environments/{environment}/records?{query}");

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").TryGetProperty(parameter, out _).ShouldBeTrue(problem.ToString());
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D2")]
    public async Task A_record_list_longer_than_a_page_comes_in_pages_in_record_id_order_X1_D2()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);
        string[] ids = ["rec-a", "rec-b", "rec-c", "rec-d", "rec-e"];
        foreach (var id in ids.Reverse()) await platform.WriteOkAsync(tenant, environment, id, $"content of {id}");

        var pages = new List<RecordPage>();
        for (var number = 1; number <= 4; number++)
        {
            var response = await platform.Storage().GetAsync($"/v1/tenants/{tenant}/environments/{environment}/records?page={number}&pageSize=2");
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            pages.Add(await response.ReadAsync<RecordPage>());
        }

        pages.Select(p => p.Records.Count).ShouldBe([2, 2, 1, 0]);
        pages.ShouldAllBe(p => p.Total == ids.Length && p.PageSize == 2 && p.EnvironmentId == environment);
        pages.SelectMany(p => p.Records).Select(r => r.RecordId).ShouldBe(ids);
        pages[0].Records[0].Size.ShouldBe("content of rec-a".Length);

        var unpaged = await (await platform.Storage().GetAsync($"/v1/tenants/{tenant}/environments/{environment}/records"))
            .ReadAsync<RecordPage>();
        (unpaged.Page, unpaged.PageSize, unpaged.Records.Count).ShouldBe((1, Paging.DefaultPageSize, ids.Length));
    }

    [Fact]
    [Trait("Rule", "X1")]
    public async Task Every_operation_of_KeyService_and_EnvironmentEncryption_declares_what_it_answers_on_success_X1()
    {
        var keys = JsonDocument.Parse(await platform.Keys.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        var environments = JsonDocument.Parse(await platform.Environments.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;

        OpenApiAnswers.WithoutSuccessAnswer(keys).ShouldBeEmpty();
        OpenApiAnswers.WithoutSuccessAnswer(environments).ShouldBeEmpty();
        foreach (var (document, path, method, mediaType) in new[]
                 {
                     (keys, "/v1/tenants/{tenantId}/regions/{region}/keys/generate", "post", "application/x-pkcs12"),
                     (environments, "/v1/tenants/{tenantId}/environments/{environmentId}/records/{recordId}", "get", "application/octet-stream"),
                 })
        {
            var binary = OpenApiAnswers.Resolve(document, OpenApiAnswers.SuccessSchema(document, path, method, mediaType: mediaType)).ToString();
            binary.ShouldContain("\"format\": \"binary\"", Case.Sensitive, $"{method} {path}: {binary}");
        }
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D5")]
    public async Task The_OpenAPI_document_describes_the_record_page_with_its_paging_limits_and_the_backup_list_X1_D5()
    {
        var document = JsonDocument.Parse(await platform.Environments.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        const string records = "/v1/tenants/{tenantId}/environments/{environmentId}/records";

        var page = OpenApiAnswers.Resolve(document, OpenApiAnswers.SuccessSchema(document, records, "get")).GetProperty("properties");
        foreach (var property in new[] { "page", "pageSize", "total", "records" }) page.TryGetProperty(property, out _).ShouldBeTrue(property);
        foreach (var (parameter, maximum) in new[] { ("page", Paging.MaxPage), ("pageSize", Paging.MaxPageSize) })
        {
            var schema = OpenApiAnswers.QueryParameter(document, records, "get", parameter);
            schema.GetProperty("minimum").GetInt32().ShouldBe(1, parameter);
            schema.GetProperty("maximum").GetInt32().ShouldBe(maximum, parameter);
        }
        var backups = OpenApiAnswers.SuccessSchema(document, "/v1/tenants/{tenantId}/environments/{environmentId}/backups", "get");
        backups.GetProperty("type").GetString().ShouldBe("array");
        OpenApiAnswers.Resolve(document, backups.GetProperty("items")).GetProperty("properties").TryGetProperty("recordCount", out _)
            .ShouldBeTrue();
    }

    [Theory]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D2")]
    [InlineData("take=0")]
    [InlineData("take=-1")]
    [InlineData("take=1001")]
    public async Task A_release_audit_take_outside_its_limits_is_a_400_naming_take_not_a_clamped_list_X1_D2(string query)
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);

        var response = await platform.Admin(tenant).GetAsync($"/v1/tenants/{tenant}/environments/{environment}/data-key/releases?{query}");

        var problem = await response.ShouldBeRefusedAsync(HttpStatusCode.BadRequest, Rules.Validation);
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(["take"], problem.ToString());
    }

    [Fact]
    [Trait("Rule", "D2")]
    public async Task A_release_audit_lists_as_many_releases_as_taken_newest_first_D2()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);
        for (var i = 0; i < 2; i++) (await platform.ReleaseAsync(tenant, environment)).EnsureSuccessStatusCode();
        var releases = $"/v1/tenants/{tenant}/environments/{environment}/data-key/releases";

        var one = await (await platform.Admin(tenant).GetAsync($"{releases}?take=1")).ReadAsync<List<DataKeyReleaseView>>();
        var all = await (await platform.Admin(tenant).GetAsync($"{releases}?take={DataKeyReleaseEndpoints.MaxTake}")).ReadAsync<List<DataKeyReleaseView>>();

        one.Count.ShouldBe(1);
        all.Count(r => r.Purpose == "release").ShouldBe(2);
        all.Select(r => r.ReleasedAt).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D1")]
    public async Task A_record_body_of_another_content_type_is_a_415_and_nothing_is_stored_one_without_is_read_X1_D1()
    {
        var tenant = await platform.TenantAsync();
        var environment = await platform.RegisterAsync(tenant);
        var body = new StringContent("{\"not\": \"bytes\"}", Encoding.UTF8, "application/json");

        var response = await platform.Storage().PutAsync($"/v1/tenants/{tenant}/environments/{environment}/records/rec-json", body);

        await response.ShouldBeRefusedAsync(HttpStatusCode.UnsupportedMediaType, Rules.Validation);
        (await platform.ReadAsync(tenant, environment, "rec-json")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await platform.WriteOkAsync(tenant, environment, "rec-bytes", "as application/octet-stream");
        (await platform.Storage().PutAsync($"/v1/tenants/{tenant}/environments/{environment}/records/rec-untyped",
            new ByteArrayContent("with no content type"u8.ToArray()))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    [Trait("Rule", "X1")]
    [Trait("Rule", "D2")]
    [Trait("Rule", "T4")]
    public async Task The_OpenAPI_document_describes_the_record_body_and_the_release_audit_limit_X1_D2_T4()
    {
        var document = JsonDocument.Parse(await platform.Environments.CreateClient().GetStringAsync("/openapi/v1.json")).RootElement;
        var write = document.GetProperty("paths").GetProperty("/v1/tenants/{tenantId}/environments/{environmentId}/records/{recordId}")
            .GetProperty("put");

        var body = write.GetProperty("requestBody");
        body.GetProperty("required").GetBoolean().ShouldBeTrue();
        body.GetProperty("content").EnumerateObject().Select(c => c.Name).ShouldBe([RecordStore.ContentType]);
        var content = body.GetProperty("content").GetProperty(RecordStore.ContentType).GetProperty("schema");
        (content.GetProperty("type").GetString(), content.GetProperty("format").GetString()).ShouldBe(("string", "binary"));
        content.GetProperty("maxLength").GetInt64().ShouldBe(RecordStore.MaxRecordBytes);
        body.GetProperty("description").GetString()!.ShouldContain($"{RecordStore.MaxDataRecordBytes} bytes");
        foreach (var status in new[] { "204", "413", "415" })
            write.GetProperty("responses").TryGetProperty(status, out _).ShouldBeTrue(status);

        var take = OpenApiAnswers.QueryParameter(document, "/v1/tenants/{tenantId}/environments/{environmentId}/data-key/releases", "get", "take");
        take.GetProperty("minimum").GetInt32().ShouldBe(1);
        take.GetProperty("maximum").GetInt32().ShouldBe(DataKeyReleaseEndpoints.MaxTake);
    }

    private async Task<long> EventsAsync()
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var events = new NpgsqlCommand($"select count(*) from \"{platform.Environments.Schema}\".mt_events", connection);
        return (long)(await events.ExecuteScalarAsync())!;
    }
}
