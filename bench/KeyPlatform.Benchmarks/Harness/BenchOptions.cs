namespace KeyPlatform.Benchmarks.Harness;

/// <summary>Sizes of every suite. <see cref="Quick"/> shrinks them for a smoke run (figures then too rough to quote).</summary>
internal sealed record BenchOptions(int Runs, bool Quick)
{
    public int RelayLatencySamples => Quick ? 40 : 300;
    public int RelayLatencyWarmUp => Quick ? 10 : 30;
    public int RelayThroughputMessages => Quick ? 500 : 3000;
    public int RelayCommitBatch => 100;
    public int RelayPollingSamples => Quick ? 20 : 100;
    public int RawInFlight => 100;

    public TimeSpan VaultWarmUp => TimeSpan.FromMilliseconds(Quick ? 50 : 150);
    public TimeSpan VaultWindow => TimeSpan.FromMilliseconds(Quick ? 150 : 500);
    public int VaultRounds => Quick ? 1 : 3;
    public long VaultMaxOps => 200_000;

    /// <summary>Other tenant keys on the token for the PKCS#11 rows "with many keys" (<c>--hsm-keys</c>).</summary>
    public int HsmKeys { get; init; } = 2_000;

    /// <summary>Environments whose data key the PKCS#11 rewrap rows move to a new key (<c>--rewrap-environments</c>).</summary>
    public int RewrapEnvironments { get; init; } = 10_000;

    public int HsmKeysOnToken => Quick ? Math.Min(HsmKeys, 200) : HsmKeys;
    public int RewrapCount => Quick ? Math.Min(RewrapEnvironments, 500) : RewrapEnvironments;

    public int ActivationTenants => Quick ? 5 : 30;
    public int ActivationWarmUp => Quick ? 1 : 3;

    /// <summary>Upper bound for one awaited message or state change; a run that hits it fails loudly.</summary>
    public TimeSpan WaitLimit => TimeSpan.FromSeconds(30);
}
