namespace KeyPlatform.ByokTool;

/// <summary>Bad input to the tool; the message is shown to the user as it is.</summary>
public sealed class ByokExportException(string message) : Exception(message);
