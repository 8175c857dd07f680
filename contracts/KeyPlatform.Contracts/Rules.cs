namespace KeyPlatform.Contracts;

/// <summary>The rule ids of the specification, as carried by refusals over HTTP and the bus.</summary>
public static class Rules
{
    public const string T1 = "T1", T2 = "T2", T3 = "T3", T4 = "T4";
    public const string A1 = "A1";
    public const string K1 = "K1", K2 = "K2", K3 = "K3", K4 = "K4", K5 = "K5", K6 = "K6", K7 = "K7", K8 = "K8",
        K9 = "K9", K10 = "K10", K11 = "K11";
    public const string E1 = "E1", E2 = "E2", E3 = "E3", E4 = "E4", E5 = "E5", E6 = "E6";
    public const string L1 = "L1", L2 = "L2", L3 = "L3", L4 = "L4", L5 = "L5", L6 = "L6", L7 = "L7";
    public const string U1 = "U1", U2 = "U2", U3 = "U3";
    public const string D1 = "D1", D2 = "D2", D3 = "D3", D4 = "D4", D5 = "D5";
    public const string S1 = "S1", S2 = "S2", S3 = "S3", S4 = "S4";

    /// <summary>Tenant, region and environment ids have one canonical form; regions come from configuration.</summary>
    public const string X3 = "X3";

    /// <summary>Not a rule of the product: the caller is not allowed to act (role, tenant or environment claim).</summary>
    public const string Authorization = "AUTHZ";

    /// <summary>Not a rule of the product: the command's shape is wrong (missing field, bad value).</summary>
    public const string Validation = "VALIDATION";

    /// <summary>Not a rule of the product: the thing the command names does not exist.</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>Not a rule of the product: an abuse limit (requests per caller or per tenant) was reached; 429 with Retry-After.</summary>
    public const string RateLimit = "RATE_LIMIT";

    /// <summary>Not a rule of the product: key material (a .pfx and its password, or a generated .pfx) only over TLS in Production.</summary>
    public const string TlsRequired = "TLS_REQUIRED";

    /// <summary>Not a rule of the product: the key store (or the vault gateway in front of it) is unavailable now; 503 with
    /// Retry-After, nothing was done.</summary>
    public const string VaultUnavailable = "VAULT_UNAVAILABLE";

    /// <summary>Not a rule of the product: an <c>Idempotency-Key</c> header that is malformed (400), reused for a different
    /// request (422), or whose first request is still running (409 with Retry-After) or left no answer to repeat (409).</summary>
    public const string IdempotencyKey = "IDEMPOTENCY_KEY";
}
