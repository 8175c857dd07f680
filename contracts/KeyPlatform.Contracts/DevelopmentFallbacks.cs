namespace KeyPlatform.Contracts;

/// <summary>The conveniences that make a host trivially forgeable (the public development signing key, a generated
/// vault master key, the clock-offset file) are allowed only in these host environments: <c>Development</c> (the
/// scripts and the compose file) and <c>Testing</c> (the test hosts, the explicit switch). Any other name, Staging
/// included, refuses to start with them.</summary>
public static class DevelopmentFallbacks
{
    private static readonly HashSet<string> Environments = new(StringComparer.OrdinalIgnoreCase) { "Development", "Testing" };

    public static bool AllowedIn(string environmentName) => Environments.Contains(environmentName);
}
