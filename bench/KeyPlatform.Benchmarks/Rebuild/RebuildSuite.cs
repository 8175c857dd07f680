using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using KeyPlatform.Benchmarks.Harness;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys;
using KeyPlatform.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using KeyServiceProgram = KeyPlatform.KeyService.Program;

namespace KeyPlatform.Benchmarks.Rebuild;

/// <summary>Issue 6's first measure: how fast an operator's projection rebuild (<c>POST /v1/operator/projections/{name}/rebuild</c>,
/// Marten's daemon through <c>ProjectionRebuilds</c>) replays KeyService's events into the key inventory
/// (<see cref="TenantKeyRing"/>, an inline snapshot), beside a raw read of the same events from PostgreSQL in the
/// same run. The events are seeded once, straight through the KeyService's own <see cref="IDocumentStore"/> (in-process
/// <see cref="ServiceHost{TProgram}"/> on a fresh schema, so the store is configured exactly as the service's), 100 events
/// per stream, several streams per transaction; the inline projection writes the documents as they go. Every rebuild
/// is checked: same document count and the same digest of every document as before it.</summary>
internal sealed class RebuildSuite(int events) : ISuite
{
    private const string Region = "europe";
    private const int EventsPerStream = 100;
    private const int StreamsPerTransaction = 10;
    private const int Writers = 4;
    private static readonly DateTimeOffset Epoch = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    private readonly List<string> notes = [];
    private TestBroker? broker;
    private ServiceHost<KeyServiceProgram>? host;
    private HttpClient? operatorClient;
    private string projection = "";
    private string schema = "";
    private long totalEvents;
    private long streams;
    private (long Count, string Digest) before;
    private double seedSeconds;

    public string Name => "rebuild";

    public string Title => $"KeyService: rebuild of the key inventory over {events.ToString("N0", CultureInfo.InvariantCulture)} events";

    public IEnumerable<string> Notes => notes;

    public IReadOnlyList<Row> Rows { get; } =
    [
        new("rebuild rate (POST …/rebuild, timed by the caller)", "events/s", "rebuild.rate",
            "raw read: select data from mt_events order by seq_id (Npgsql, streamed)", "raw.rate"),
        new("rebuild wall time", "s", "rebuild.s", "raw read wall time", "raw.s"),
        new("· rebuild as the service times it (daemon only)", "s", "rebuild.server.s"),
        new("seeding rate (append through the inline projection, 4 writers)", "events/s", "seed.rate", "raw read", "raw.rate"),
    ];

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        broker = new TestBroker();
        await broker.InitializeAsync();
        host = new ServiceHost<KeyServiceProgram>(broker, "keys", settings: new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            // The relay would publish an integration event for every seeded KeyActivated: not part of a rebuild.
            ["Messaging:RelayEnabled"] = "false",
        });
        schema = host.Schema;
        operatorClient = host.OperatorClient();
        operatorClient.Timeout = TimeSpan.FromMinutes(12);
        var store = host.Services.GetRequiredService<IDocumentStore>();

        using (var list = JsonDocument.Parse(await operatorClient.GetStringAsync("/v1/operator/projections", cancellationToken)))
            projection = list.RootElement.EnumerateArray()
                .First(p => p.GetProperty("documentType").GetString() == nameof(TenantKeyRing)).GetProperty("name").GetString()!;

        streams = (events + EventsPerStream - 1) / EventsPerStream;
        Console.WriteLine($"  seeding {streams * EventsPerStream:N0} events in {streams:N0} streams ({Writers} writers)…");
        var start = Clock.Now;
        var transactions = (streams + StreamsPerTransaction - 1) / StreamsPerTransaction;
        long next = -1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            long transaction;
            while ((transaction = Interlocked.Increment(ref next)) < transactions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await using var session = store.LightweightSession();
                for (var s = transaction * StreamsPerTransaction; s < Math.Min(streams, (transaction + 1) * StreamsPerTransaction); s++)
                {
                    var tenant = $"rebuild-{s.ToString(CultureInfo.InvariantCulture)}";
                    session.Events.StartStream<TenantKeyRing>(TenantKeyRing.StreamKey(tenant, Region), StreamEvents(tenant));
                }
                await session.SaveChangesAsync(cancellationToken);
            }
        }, cancellationToken)));
        seedSeconds = Clock.SecondsSince(start);
        totalEvents = await ScalarAsync($"select count(*) from {schema}.mt_events", cancellationToken);
        Console.WriteLine($"  seeded {totalEvents:N0} events in {seedSeconds:0.0} s");
        before = await DocumentsAsync(cancellationToken);
        if (before.Count != streams)
            throw new InvalidOperationException($"The inline projection wrote {before.Count} documents for {streams} streams.");

        // Warm-up: one raw read (fills PostgreSQL's cache for both paths). No warm-up rebuild: at a million events it
        // takes minutes, and the JIT's share of that is nothing.
        await RawReadAsync(cancellationToken);
    }

    /// <summary>One tenant's ring in the shape the decider writes it: keys added, installed and activated in turn
    /// (each activation makes the previous key Available again), 100 events in all.</summary>
    private static List<object> StreamEvents(string tenant)
    {
        var list = new List<object>(EventsPerStream);
        string? previous = null;
        for (var k = 1; list.Count < EventsPerStream; k++)
        {
            var keyId = $"{tenant}-key-{k.ToString(CultureInfo.InvariantCulture)}";
            var at = Epoch.AddDays(k);
            var thumbprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(keyId)));
            var vaultKeyId = $"vault-{keyId}";
            list.Add(new KeyAdded(tenant, Region, keyId, $"Key {k}", thumbprint, vaultKeyId, TenantKeySource.UploadedPfx, at));
            if (list.Count < EventsPerStream) list.Add(new KeyInstallationStarted(keyId, at.AddSeconds(1)));
            if (list.Count < EventsPerStream) list.Add(new KeyActivated(keyId, vaultKeyId, thumbprint, previous, at.AddSeconds(2)));
            previous = keyId;
        }
        return list;
    }

    public async Task<Measurements> RunAsync(int run, CancellationToken cancellationToken)
    {
        // Raw read before and after the rebuild; the baseline is their mean.
        var raw1 = await RawReadAsync(cancellationToken);
        var (seconds, serverSeconds, processed) = await RebuildAsync(cancellationToken);
        var raw2 = await RawReadAsync(cancellationToken);
        await VerifyAsync(cancellationToken);
        var rawSeconds = (raw1 + raw2) / 2;
        Console.WriteLine($"  rebuild {seconds:0.0} s ({processed:N0} events, service says {serverSeconds:0.0} s), raw read {raw1:0.00} / {raw2:0.00} s");
        if (run == 0)
        {
            notes.Add($"{totalEvents:N0} events in {streams:N0} `tenant-key:` streams of {EventsPerStream} events (KeyAdded, KeyInstallationStarted, " +
                      $"KeyActivated in turn: 34 keys per ring), {before.Count:N0} key-inventory documents. Seeded once through the KeyService's " +
                      $"own `IDocumentStore` (in-process `ServiceHost<Program>`, fresh schema, relay off), {StreamsPerTransaction} streams per " +
                      $"transaction, {Writers} writers: {seedSeconds:0.0} s. One warm-up raw read, no warm-up rebuild.");
            notes.Add("Each rebuild is followed by a check: the same number of documents and the same md5 over every document's id and data " +
                      "as before the first rebuild (all passed, or the run fails). The raw read is timed before and after each rebuild; the baseline is the mean.");
        }
        return new Measurements
        {
            ["rebuild.rate"] = processed / seconds,
            ["rebuild.s"] = seconds,
            ["rebuild.server.s"] = serverSeconds,
            ["raw.rate"] = totalEvents / rawSeconds,
            ["raw.s"] = rawSeconds,
            ["seed.rate"] = totalEvents / seedSeconds,
        };
    }

    private async Task<(double Seconds, double ServerSeconds, long Processed)> RebuildAsync(CancellationToken cancellationToken)
    {
        var start = Clock.Now;
        using var response = await operatorClient!.PostAsync($"/v1/operator/projections/{Uri.EscapeDataString(projection)}/rebuild", null, cancellationToken);
        var seconds = Clock.SecondsSince(start);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Rebuild refused ({(int)response.StatusCode}): {body}");
        using var report = JsonDocument.Parse(body);
        var processed = report.RootElement.GetProperty("eventsProcessed").GetInt64();
        if (processed != totalEvents) throw new InvalidOperationException($"The rebuild processed {processed} events of {totalEvents}.");
        return (seconds, report.RootElement.GetProperty("durationMs").GetDouble() / 1000, processed);
    }

    /// <summary>Seconds to stream every event's JSON out of PostgreSQL, in order, as strings.</summary>
    private async Task<double> RawReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        var start = Clock.Now;
        await using var command = new NpgsqlCommand($"select data from {schema}.mt_events order by seq_id", connection);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        long rows = 0, chars = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            chars += reader.GetString(0).Length;
            rows++;
        }
        var seconds = Clock.SecondsSince(start);
        if (rows != totalEvents || chars == 0) throw new InvalidOperationException($"The raw read saw {rows} events of {totalEvents}.");
        return seconds;
    }

    private async Task VerifyAsync(CancellationToken cancellationToken)
    {
        var after = await DocumentsAsync(cancellationToken);
        if (after != before)
            throw new InvalidOperationException($"The rebuilt key inventory differs: {after.Count} documents (digest {after.Digest}) " +
                                                $"against {before.Count} ({before.Digest}) before.");
    }

    /// <summary>The key-inventory documents: their count and an md5 over every id and document, in id order.</summary>
    private async Task<(long Count, string Digest)> DocumentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"select count(*), coalesce(md5(string_agg(id || ':' || data::text, '|' order by id)), '') from {schema}.mt_doc_tenantkeyring", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetString(1));
    }

    private static async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        operatorClient?.Dispose();
        if (host is not null) await host.DisposeAsync();
        if (broker is not null) await broker.DisposeAsync();
    }
}
