namespace KeyPlatform.ServiceDefaults.Messaging;

/// <summary>How the relay publishes a page (section <c>Messaging:Relay</c>; decision 0024).</summary>
public sealed class IntegrationEventRelayOptions
{
    public const string Section = "Messaging:Relay";

    /// <summary>Events in a page read by the daemon at once; the position is stored after each page.</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>Streams published at the same time within a page (the events of one stream go one after the other).
    /// 1 publishes the page in order, one broker round trip per message.</summary>
    public int MaxInFlight { get; set; } = 100;

    /// <summary>How long one publish may wait for the broker's confirm before the page counts as failed and the relay
    /// pauses (a broker that does not answer must not hold a page for ever).</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
