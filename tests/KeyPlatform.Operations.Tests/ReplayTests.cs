using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KeyPlatform.Contracts;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.ServiceDefaults.Operations;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KeyPlatform.Operations.Tests;

/// <summary>S3: every projection rebuilds from the events into exactly what the service kept while it ran.</summary>
[Collection(OperationsCollection.Name)]
public sealed class ReplayTests(OperationsFixture fixture)
{
    [Fact]
    [Trait("Rule", "S3")]
    public async Task Rebuilding_the_key_inventory_from_the_events_gives_back_exactly_the_documents_kept_inline_S3()
    {
        var story = await fixture.NewStoryAsync();
        var kept = await KeyInventoryDocumentsAsync();
        kept.ShouldContain(d => d.Id == story.Ring);

        // Lose one document and damage another: the rebuild must bring both back from the events alone.
        await ExecuteAsync($"delete from {Table} where id = @id", story.Ring);
        await ExecuteAsync($"update {Table} set data = jsonb_set(data, '{{Region}}', '\"tampered\"') where id <> @id", story.Ring);
        (await KeyInventoryDocumentsAsync()).ShouldNotBe(kept);

        var response = await fixture.Operator().PostAsync("/v1/operator/projections/TenantKeyRing/rebuild", null);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var report = (await response.Content.ReadFromJsonAsync<ProjectionsRebuildView>(OperationsFixture.Json))!;

        (await KeyInventoryDocumentsAsync()).ShouldBe(kept);
        var rebuilt = report.Projections.Single();
        rebuilt.Name.ShouldBe("TenantKeyRing");
        rebuilt.EventsProcessed.ShouldBeGreaterThanOrEqualTo(6);
        rebuilt.EventsProcessed.ShouldBe(await RingEventCountAsync(rebuilt.HighWaterMark));
        rebuilt.DurationMs.ShouldBeGreaterThan(0);
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Rebuilding_every_projection_changes_no_document_and_every_document_equals_its_live_aggregate_S3()
    {
        await fixture.SharedStoryAsync();
        var kept = await KeyInventoryDocumentsAsync();

        var report = await (await fixture.Operator().PostAsync("/v1/operator/projections/rebuild", null)).Content
            .ReadFromJsonAsync<ProjectionsRebuildView>(OperationsFixture.Json);

        report!.Projections.Select(p => p.Name).ShouldBe(["TenantKeyRing"]);
        report.EventsProcessed.ShouldBe(report.Projections.Sum(p => p.EventsProcessed));
        (await KeyInventoryDocumentsAsync()).ShouldBe(kept);

        await using var session = fixture.Keys.Services.GetRequiredService<IDocumentStore>().QuerySession();
        foreach (var (id, _) in kept)
        {
            var document = await session.LoadAsync<TenantKeyRing>(id);
            var live = await session.Events.AggregateStreamAsync<TenantKeyRing>(id);
            JsonSerializer.Serialize(document).ShouldBe(JsonSerializer.Serialize(live), $"stream {id}");
        }
    }

    [Fact]
    [Trait("Rule", "S3")]
    public async Task Projections_are_listed_and_the_relay_subscription_is_never_rebuilt_S3()
    {
        var op = fixture.Operator();

        var projection = (await op.OkAsync<List<ProjectionView>>("/v1/operator/projections")).Single();
        projection.Name.ShouldBe("TenantKeyRing");
        projection.Lifecycle.ShouldBe("Inline");
        projection.DocumentType.ShouldBe("TenantKeyRing");
        projection.EventTypes.ShouldContain("KeyAdded");
        projection.EventTypes.ShouldContain("KeyRingLocked");

        (await (await op.PostAsync("/v1/operator/projections/IntegrationEventRelay/rebuild", null)).ProblemAsync(HttpStatusCode.BadRequest))
            .Detail!.ShouldContain("is a subscription");
        (await (await op.PostAsync("/v1/operator/projections/Nothing/rebuild", null)).ProblemAsync(HttpStatusCode.NotFound))
            .Rule.ShouldBe(Rules.NotFound);
    }

    private string Table => $"\"{fixture.Keys.Schema}\".mt_doc_tenantkeyring";

    /// <summary>Every key inventory document as PostgreSQL stores it (jsonb text is canonical: equal JSON, equal text).</summary>
    private async Task<List<(string Id, string Json)>> KeyInventoryDocumentsAsync()
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select id, data::text from {Table} order by id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var documents = new List<(string, string)>();
        while (await reader.ReadAsync()) documents.Add((reader.GetString(0), reader.GetString(1)));
        return documents;
    }

    private async Task<long> RingEventCountAsync(long highWaterMark)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*) from \"{fixture.Keys.Schema}\".mt_events where stream_id like 'tenant-key:%' and seq_id <= @mark", connection);
        command.Parameters.AddWithValue("mark", highWaterMark);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql, string id)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }
}
