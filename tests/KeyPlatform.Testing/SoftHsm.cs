namespace KeyPlatform.Testing;

/// <summary>
/// The SoftHSM token that <c>scripts/infra.sh</c> makes, as its environment names it (<c>scripts/infra.sh env</c> exports
/// <c>SOFTHSM2_CONF</c>, <c>KP_HSM_LIBRARY</c>, <c>KP_HSM_TOKEN_LABEL</c>, <c>KP_HSM_USER_PIN</c>). Without them a test
/// that needs the token fails, saying so; it never passes by skipping.
/// </summary>
public sealed record SoftHsm(string Library, string TokenLabel, string Pin)
{
    private static readonly string[] Variables = ["SOFTHSM2_CONF", "KP_HSM_LIBRARY", "KP_HSM_TOKEN_LABEL", "KP_HSM_USER_PIN"];

    public static SoftHsm FromEnvironment()
    {
        var missing = Variables.Where(name => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The SoftHSM token is not configured ({string.Join(", ", missing)} not set). Run scripts/infra.sh up, then " +
                "eval \"$(scripts/infra.sh env)\" in the shell that runs the tests.");
        }

        return new SoftHsm(Environment.GetEnvironmentVariable("KP_HSM_LIBRARY")!, Environment.GetEnvironmentVariable("KP_HSM_TOKEN_LABEL")!,
            Environment.GetEnvironmentVariable("KP_HSM_USER_PIN")!);
    }

    /// <summary>The settings that put a service process on the token (<c>Vault:Provider=Pkcs11</c>); the process inherits
    /// <c>SOFTHSM2_CONF</c>.</summary>
    public Dictionary<string, string> ServiceSettings() => new()
    {
        ["Vault__Provider"] = "Pkcs11",
        ["Vault__Pkcs11__Library"] = Library,
        ["Vault__Pkcs11__TokenLabel"] = TokenLabel,
        ["Vault__Pkcs11__Pin"] = Pin,
    };
}
