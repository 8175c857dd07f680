using System.Net;
using KeyPlatform.Testing;
using KeyPlatform.Testing.Outbound;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using EnvironmentEncryptionApp = KeyPlatform.EnvironmentEncryption.Program;
using KeyServiceApp = KeyPlatform.KeyService.Program;
using TenantLockApp = KeyPlatform.TenantLock.Program;

namespace KeyPlatform.Backbone.Tests.Protection;

/// <summary>Alone: these tests point the process's default proxy at a closed loopback port, so that every outbound HTTP
/// connection of the process (not to loopback) is refused.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutboundCallsCollection
{
    public const string Name = "outbound calls";
}

/// <summary>A key-management system makes no call out of the platform it was not configured to make: each service,
/// from start to stop, with outbound connections refused, attempts none (MassTransit's usage telemetry is off).</summary>
[Collection(OutboundCallsCollection.Name)]
public sealed class NoOutboundCallsTests(TestBroker broker) : IClassFixture<TestBroker>
{
    [Theory]
    [InlineData("KeyService")]
    [InlineData("EnvironmentEncryption")]
    [InlineData("TenantLock")]
    public async Task A_service_attempts_no_outbound_call_from_start_to_stop(string service)
    {
        using var recorder = new OutboundRequestRecorder();
        var telemetryEnabled = true;
        await WithOutboundConnectionsRefusedAsync(async () => telemetryEnabled = service switch
        {
            "KeyService" => await StartUseAndStopAsync<KeyServiceApp>("keys_outbound"),
            "EnvironmentEncryption" => await StartUseAndStopAsync<EnvironmentEncryptionApp>("environments_outbound"),
            _ => await StartUseAndStopAsync<TenantLockApp>("locks_outbound"),
        });

        recorder.NonLoopback.ShouldBeEmpty();
        telemetryEnabled.ShouldBeFalse("MassTransit's usage telemetry (UsageTelemetryOptions.Enabled after the bus started)");
    }

    [Fact]
    public async Task The_recorder_sees_an_outbound_request_even_when_its_connection_is_refused()
    {
        using var recorder = new OutboundRequestRecorder();

        await WithOutboundConnectionsRefusedAsync(async () =>
        {
            using var client = new HttpClient();
            await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync("http://telemetry.example.invalid/usage"));
        });

        recorder.NonLoopback.ShouldContain(uri => uri.Host == "telemetry.example.invalid");
    }

    /// <summary>Whether MassTransit's usage telemetry was on once the bus had started (its tracker reads
    /// <c>MASSTRANSIT_USAGE_TELEMETRY</c> into the same options).</summary>
    private async Task<bool> StartUseAndStopAsync<TProgram>(string schema) where TProgram : class
    {
        // Were usage telemetry on, stopping the bus would report it at once instead of minutes after the start.
        await using var host = new ServiceHost<TProgram>(broker, schema,
            configureServices: services => services.Configure<UsageTelemetryOptions>(o => o.ReportOnShutdown = true));
        using var client = host.CreateClient();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/openapi/v1.json")).StatusCode.ShouldBe(HttpStatusCode.OK);
        return host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled;
    }

    private static async Task WithOutboundConnectionsRefusedAsync(Func<Task> body)
    {
        var previous = HttpClient.DefaultProxy;
        // Port 9 (discard) on loopback: nothing listens, every connection through the proxy is refused; loopback bypasses it.
        HttpClient.DefaultProxy = new WebProxy("http://127.0.0.1:9", BypassOnLocal: true);
        try
        {
            await body();
        }
        finally
        {
            HttpClient.DefaultProxy = previous;
        }
    }
}
