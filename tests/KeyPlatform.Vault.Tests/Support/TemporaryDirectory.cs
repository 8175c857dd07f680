namespace KeyPlatform.Vault.Tests.Support;

/// <summary>A private directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = Directory.CreateTempSubdirectory("keyplatform-vault-tests-").FullName;
    }

    public string Path { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        var path = PathOf(name);
        File.WriteAllText(path, content);
        return path;
    }

    public string Write(string name, byte[] content)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
