using System.Net;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys.KeyInventory;
using KeyPlatform.ServiceDefaults.Persistence;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using System.Net.Http.Json;

namespace KeyService.IntegrationTests;

/// <summary>A projection rebuild and a command never overlap: the command waits, then decides on the full state.</summary>
public sealed class RebuildGateTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    [Fact]
    [Trait("Rule", "S3")]
    public async Task An_upload_during_a_rebuild_waits_for_it_and_is_not_taken_for_the_first_key_K5_S3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        var keys = $"/v1/tenants/{tenant}/regions/europe/keys";
        (await admin.PostAsync(keys, KeyFiles.Upload("first", KeyFiles.Fixture("rsa2048.pfx"), "first.pfx", KeyFiles.FixturePassword)))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var store = fixture.Host.Services.GetRequiredService<IDocumentStore>();
        var (pfx, _) = KeyFiles.DotNetPfx("a long enough password");

        Task<HttpResponseMessage> upload;
        await using (await store.CloseForRebuildAsync(CancellationToken.None))
        {
            upload = admin.PostAsync(keys, KeyFiles.Upload("second", pfx, "second.pfx", "a long enough password"));
            await Eventually.TrueAsync(WaitingOnTheGateAsync, "the upload to wait on the rebuild gate");
            upload.IsCompleted.ShouldBeFalse();
        }

        (await upload).StatusCode.ShouldBe(HttpStatusCode.Created);
        var inventory = await admin.GetFromJsonAsync<KeyInventoryView>(keys, Json.Options);
        inventory!.Keys.Single(k => k.Name == "second").State.ShouldBe(TenantKeyState.Available);
    }

    private static async Task<bool> WaitingOnTheGateAsync()
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from pg_locks where locktype = 'advisory' and not granted", connection);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }
}
