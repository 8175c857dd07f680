using Marten;

namespace KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;

/// <summary>K8: a tenant key became active in a region; these environments (online under another tenant key, or being
/// updated to the tenant key) are to be rewrapped under it. The first and only event of stream
/// <c>rewrap:{rewrapId}</c>; the relay turns it into rewrap messages of a few environments each.</summary>
public sealed record RewrapStarted(string RewrapId, string TenantId, string Region, string TargetKeyId, string TargetThumbprint,
    IReadOnlyList<string> EnvironmentIds, DateTimeOffset StartedAt);

/// <summary>The state of a rewrap stream, kept inline as a document: what progress is measured against.</summary>
public sealed record RewrapRun(string Id, string RewrapId, string TenantId, string Region, string TargetKeyId, string TargetThumbprint,
    int Total, DateTimeOffset StartedAt)
{
    public static string StreamKey(string rewrapId) => $"rewrap:{rewrapId}";

    public static bool IsRewrapStream(string? streamKey) => streamKey?.StartsWith("rewrap:", StringComparison.Ordinal) == true;

    public static RewrapRun Create(RewrapStarted started) => new(StreamKey(started.RewrapId), started.RewrapId, started.TenantId,
        started.Region, started.TargetKeyId, started.TargetThumbprint, started.EnvironmentIds.Count, started.StartedAt);
}

/// <summary>What one rewrap message did, written in the same transaction as its environments' events, so progress
/// (done of total) counts each environment once, whatever was redelivered or restarted.</summary>
public sealed class RewrapBatchResult
{
    public string Id { get; set; } = "";
    public string RewrapId { get; set; } = "";
    public int BatchIndex { get; set; }
    public int Rewrapped { get; set; }
    public int Skipped { get; set; }
    public int Failed { get; set; }
    public DateTimeOffset CompletedAt { get; set; }

    public int Done => Rewrapped + Skipped + Failed;

    public static string DocumentId(string rewrapId, int batchIndex) => $"{rewrapId}:{batchIndex}";
}

/// <summary>S4: a K8 run's progress: environments done (rewrapped, skipped because nothing was left to do, or failed)
/// of the total.</summary>
public sealed record RewrapProgressView(string RewrapId, string TenantId, string Region, string TargetKeyId, int Total, int Done,
    int Rewrapped, int Skipped, int Failed, bool Completed, DateTimeOffset StartedAt, DateTimeOffset? LastProgressAt)
{
    public static async Task<IReadOnlyList<RewrapProgressView>> ReadAsync(IQuerySession session, IReadOnlyList<RewrapRun> runs,
        CancellationToken cancellationToken)
    {
        if (runs.Count == 0) return [];
        var ids = runs.Select(r => r.RewrapId).ToArray();
        var results = await session.Query<RewrapBatchResult>().Where(b => ids.Contains(b.RewrapId)).ToListAsync(cancellationToken);
        var byRun = results.GroupBy(b => b.RewrapId).ToDictionary(g => g.Key, g => g.ToList());
        return runs.Select(run =>
        {
            var batches = byRun.GetValueOrDefault(run.RewrapId) ?? [];
            int rewrapped = batches.Sum(b => b.Rewrapped), skipped = batches.Sum(b => b.Skipped), failed = batches.Sum(b => b.Failed);
            var done = rewrapped + skipped + failed;
            return new RewrapProgressView(run.RewrapId, run.TenantId, run.Region, run.TargetKeyId, run.Total, done, rewrapped, skipped,
                failed, done >= run.Total, run.StartedAt, batches.Count == 0 ? null : batches.Max(b => b.CompletedAt));
        }).ToList();
    }
}
