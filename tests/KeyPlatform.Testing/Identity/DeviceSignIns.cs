using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace KeyPlatform.Testing.Identity;

/// <summary>
/// The device authorization grant (RFC 8628) of the <see cref="TestIdentityProvider"/>: a public client asks for a device
/// code, the person signs in elsewhere (the test calls <see cref="Approve"/> or <see cref="Deny"/>), and the client polls
/// the token endpoint, getting <c>authorization_pending</c> until then. Codes do not expire here by themselves: the
/// client's own deadline is what the tests drive.
/// </summary>
public sealed class DeviceSignIns
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";
    public const int IntervalSeconds = 5, ExpiresInSeconds = 300;

    private readonly ConcurrentDictionary<string, byte> publicClients = new();
    private readonly ConcurrentDictionary<string, Pending> byDeviceCode = new();

    private sealed class Pending(string clientId, string userCode)
    {
        public string ClientId { get; } = clientId;
        public string UserCode { get; } = userCode;
        public IReadOnlyDictionary<string, object>? Claims { get; set; }
        public bool Denied { get; set; }
        public int Polls;
    }

    /// <summary>A client with no secret (a CLI), allowed to use this grant.</summary>
    public void RegisterPublicClient(string clientId) => publicClients[clientId] = 0;

    /// <summary>The user code of the latest request (what the CLI printed).</summary>
    public string? LatestUserCode { get; private set; }

    /// <summary>How often clients polled the token endpoint for <paramref name="userCode"/>.</summary>
    public int PollsFor(string userCode) => Find(userCode).Polls;

    /// <summary>The person signs in and consents: the next poll gets a token carrying <paramref name="claims"/>.</summary>
    public void Approve(string userCode, IReadOnlyDictionary<string, object> claims) => Find(userCode).Claims = claims;

    /// <summary>The person declines: the next poll gets <c>access_denied</c>.</summary>
    public void Deny(string userCode) => Find(userCode).Denied = true;

    internal Dictionary<string, object>? Authorize(string? clientId, string verificationUri)
    {
        if (clientId is null || !publicClients.ContainsKey(clientId)) return null;
        var userCode = $"{RandomNumberGenerator.GetString("BCDFGHJKLMNPQRSTVWXZ", 4)}-{RandomNumberGenerator.GetString("BCDFGHJKLMNPQRSTVWXZ", 4)}";
        var deviceCode = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        byDeviceCode[deviceCode] = new Pending(clientId, userCode);
        LatestUserCode = userCode;
        return new Dictionary<string, object>
        {
            ["device_code"] = deviceCode, ["user_code"] = userCode, ["verification_uri"] = verificationUri,
            ["verification_uri_complete"] = $"{verificationUri}?user_code={userCode}",
            ["expires_in"] = ExpiresInSeconds, ["interval"] = IntervalSeconds,
        };
    }

    /// <summary>A poll of the token endpoint: the claims of an approved sign-in (once), or the RFC 8628 error.</summary>
    internal (string? Error, IReadOnlyDictionary<string, object>? Claims) Poll(string? clientId, string? deviceCode)
    {
        if (deviceCode is null || !byDeviceCode.TryGetValue(deviceCode, out var pending) || pending.ClientId != clientId)
            return ("invalid_grant", null);
        Interlocked.Increment(ref pending.Polls);
        if (pending.Denied)
        {
            byDeviceCode.TryRemove(deviceCode, out _);
            return ("access_denied", null);
        }

        if (pending.Claims is not { } claims) return ("authorization_pending", null);
        byDeviceCode.TryRemove(deviceCode, out _);
        return (null, claims);
    }

    private Pending Find(string userCode) =>
        byDeviceCode.Values.SingleOrDefault(p => p.UserCode == userCode)
        ?? throw new InvalidOperationException($"No pending device sign-in with user code {userCode}.");
}
