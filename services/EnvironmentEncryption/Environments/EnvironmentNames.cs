using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.EnvironmentEncryption.Environments;

/// <summary>An environment's display name (typed back to return a production environment, E3): 1 to
/// <see cref="MaxLength"/> printable characters (<see cref="DisplayText"/>). Request types declare these limits;
/// <see cref="Check"/> applies them to commands from the bus. A NUL never reaches PostgreSQL.</summary>
public static class EnvironmentNames
{
    public const int MaxLength = 200;

    public static Refusal? Check(string? name) => DisplayText.Check(name, MaxLength, "An environment name");
}
