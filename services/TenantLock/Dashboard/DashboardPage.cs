using System.Security.Cryptography;

namespace KeyPlatform.TenantLock.Dashboard;

/// <summary>The page's three files, embedded in the assembly (no build step, nothing fetched from elsewhere), served
/// with a strict content security policy: scripts, styles and requests only from this service.</summary>
public sealed class DashboardPage
{
    public const string Index = "index.html";

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    private readonly IReadOnlyDictionary<string, Asset> assets;

    private DashboardPage(IReadOnlyDictionary<string, Asset> assets) => this.assets = assets;

    private sealed record Asset(byte[] Content, string ContentType, string ETag);

    /// <summary>Every embedded resource named <c>dashboard/{file}</c> (see the project file).</summary>
    public static DashboardPage Load()
    {
        var assembly = typeof(DashboardPage).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("dashboard/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var file = name["dashboard/".Length..];
            assets[file] = new Asset(content, ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream"),
                $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }
        if (!assets.ContainsKey(Index)) throw new InvalidOperationException("The dashboard page is not embedded in the assembly.");
        return new DashboardPage(assets);
    }

    public IResult Serve(HttpContext http, string file)
    {
        if (!assets.TryGetValue(file, out var asset)) return Results.NotFound();
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        return http.Request.Headers.IfNoneMatch.Contains(asset.ETag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.ContentType);
    }
}
