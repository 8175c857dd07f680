using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.KeyService.TenantKeys;

/// <summary>The name an admin gives a tenant key: 1 to <see cref="MaxLength"/> printable characters
/// (<see cref="DisplayText"/>). Request types declare these limits; <see cref="Check"/> applies them to commands from
/// the bus. The vault labels the key <c>{tenant}/{region}/{name}</c>, which always fits its own limit.</summary>
public static class TenantKeyNames
{
    public const int MaxLength = 100;

    public static Refusal? Check(string? name) => DisplayText.Check(name, MaxLength, "A key name");
}
