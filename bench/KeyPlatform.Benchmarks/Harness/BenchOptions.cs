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

    public int ActivationTenants => Quick ? 5 : 30;
    public int ActivationWarmUp => Quick ? 1 : 3;

    /// <summary>Upper bound for one awaited message or state change; a run that hits it fails loudly.</summary>
    public TimeSpan WaitLimit => TimeSpan.FromSeconds(30);
}
