using KeyPlatform.Contracts;

namespace KeyPlatform.Vault.KeyFiles;

/// <summary>Why a key file was refused: the rule (always K2 here) and a sentence naming the failed requirement.</summary>
public sealed record KeyFileRefusal(string Rule, string Reason)
{
    public static KeyFileRefusal K2(string reason) => new(Rules.K2, reason);
}
