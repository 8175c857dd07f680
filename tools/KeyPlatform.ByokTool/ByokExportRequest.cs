namespace KeyPlatform.ByokTool;

/// <summary>What to export: the key (PEM or .pfx), for which key-exchange key, to which file.</summary>
public sealed record ByokExportRequest(string KekPublicKeyPath, string Kid, string KeyPath, string? Password, string OutPath)
{
    public override string ToString() =>
        $"ByokExportRequest {{ Kek = {KekPublicKeyPath}, Kid = {Kid}, Key = {KeyPath}, Password = {(Password is null ? "none" : "given")}, Out = {OutPath} }}";
}
