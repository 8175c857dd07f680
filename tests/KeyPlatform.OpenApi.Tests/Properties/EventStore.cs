using KeyPlatform.Testing;
using Npgsql;

namespace KeyPlatform.OpenApi.Tests.Properties;

/// <summary>How many events a service's Marten schema holds: a refusal must leave it as it was.</summary>
public static class EventStore
{
    public static async Task<long> CountAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("select to_regclass(@table) is not null", connection);
        exists.Parameters.AddWithValue("table", $"\"{schema}\".mt_events");
        if (!(bool)(await exists.ExecuteScalarAsync())!) return 0;
        await using var count = new NpgsqlCommand($"select count(*) from \"{schema}\".mt_events", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>After a request that was accepted, its consequences (relayed events applied by the other services)
    /// have landed when the counts of every schema stop moving.</summary>
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(500);

    public static async Task SettleAsync(IReadOnlyList<string> schemas)
    {
        var last = await CountsAsync(schemas);
        var unchangedSince = DateTime.UtcNow;
        await Eventually.TrueAsync(async () =>
        {
            var now = await CountsAsync(schemas);
            if (!now.SequenceEqual(last)) (last, unchangedSince) = (now, DateTime.UtcNow);
            return DateTime.UtcNow - unchangedSince > QuietPeriod;
        }, "the accepted request's events to settle", TimeSpan.FromSeconds(15));
    }

    private static async Task<long[]> CountsAsync(IReadOnlyList<string> schemas)
    {
        var counts = new long[schemas.Count];
        for (var i = 0; i < schemas.Count; i++) counts[i] = await CountAsync(schemas[i]);
        return counts;
    }
}
