using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KeyPlatform.ServiceDefaults.Telemetry;

/// <summary>Our own traces and metrics, beside those of ASP.NET Core, HttpClient, MassTransit, Marten and Npgsql.</summary>
public static class PlatformTelemetry
{
    public const string Name = "KeyPlatform";
    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Commands = Meter.CreateCounter<long>("keyplatform.commands", description: "Commands handled");
    public static readonly Counter<long> Refusals = Meter.CreateCounter<long>("keyplatform.refusals", description: "Commands refused, by rule");
    public static readonly Counter<long> RelayedMessages = Meter.CreateCounter<long>("keyplatform.relay.messages", description: "Messages relayed from the event store to the bus");
    public static readonly Counter<long> RelayDeadLetters = Meter.CreateCounter<long>("keyplatform.relay.dead_letters", description: "Events the relay can never send (mapping or serialisation fails), stored as Marten dead letters");
    public static readonly Counter<long> RelayPauses = Meter.CreateCounter<long>("keyplatform.relay.pauses", description: "Pages the relay could not get confirmed by the broker; the subscription paused to publish them again");
    public static readonly Counter<long> UntrustedMessages = Meter.CreateCounter<long>("keyplatform.bus.untrusted", description: "Messages refused at the bus edge: unknown or disallowed sender, or no valid principal");
    public static readonly Counter<long> OrphanKeysDeleted = Meter.CreateCounter<long>("keyplatform.vault.orphan_keys_deleted", description: "Tenant keys deleted from the vault because no key ring names them, by region");
    public static readonly Counter<long> DataKeyReleases = Meter.CreateCounter<long>("keyplatform.datakeys.releases", description: "Data keys released to storage services");
}
