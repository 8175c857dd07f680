using KeyPlatform.ServiceDefaults.Commands;

namespace KeyPlatform.EnvironmentEncryption.Backups;

/// <summary>A backup's label: optional printable text (no control or bidirectional-override characters), at most
/// <see cref="MaxLength"/>. Declared on the request (published in the OpenAPI document) and checked again by the
/// handler for commands that arrive over the bus.</summary>
public static class BackupLabels
{
    public const int MaxLength = 200;

    public static Refusal? Check(string? label) =>
        string.IsNullOrEmpty(label) ? null : DisplayText.Check(label, MaxLength, "A backup label");
}
