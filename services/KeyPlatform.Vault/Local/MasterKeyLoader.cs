using System.Security.Cryptography;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// Finds the master key: <see cref="LocalVaultOptions.MasterKey"/>, else the file
/// <see cref="LocalVaultOptions.MasterKeyFile"/>. In Development and Testing hosts, with neither, a development key
/// file is created (owner-only permissions). In any other host a missing master key stops the service from starting.
/// </summary>
public static class MasterKeyLoader
{
    public static MasterKey Load(LocalVaultOptions options, bool developmentKeyAllowed)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MasterKey is { Length: > 0 } configured)
        {
            return MasterKey.FromBase64(configured, "Vault:MasterKey");
        }

        if (options.MasterKeyFile is { Length: > 0 } configuredFile && File.Exists(configuredFile))
        {
            return ReadFile(configuredFile);
        }

        if (!developmentKeyAllowed)
        {
            throw new InvalidOperationException(options.MasterKeyFile is null
                ? "The vault has no master key. Outside Development and Testing set Vault:MasterKey (base64 of 32 random bytes) or " +
                  "Vault:MasterKeyFile (a file holding it); a development key is created only in Development and Testing."
                : $"The vault master key file '{options.MasterKeyFile}' does not exist. Outside Development and Testing the " +
                  "master key must be provided; a development key is created only there.");
        }

        return LoadOrCreateDevelopmentKey(options.MasterKeyFile ?? LocalVaultOptions.DefaultDevelopmentMasterKeyFile);
    }

    private static MasterKey ReadFile(string path) =>
        MasterKey.FromBase64(File.ReadAllText(path), $"the file '{path}'");

    private static MasterKey LoadOrCreateDevelopmentKey(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath))
        {
            return ReadFile(fullPath);
        }

        var directory = Path.GetDirectoryName(fullPath)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            const UnixFileMode ownerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(directory, ownerOnlyDirectory);
            File.SetUnixFileMode(directory, ownerOnlyDirectory);
        }

        using var key = MasterKey.CreateRandom();

        // Written to a private temporary file, then moved into place without overwriting: two processes starting
        // together end up with the same key, the one that moved first.
        var temporary = Path.Combine(directory, $".master.key.{Guid.NewGuid():N}.tmp");
        try
        {
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temporary, fileOptions))
            {
                writer.Write(key.ToBase64());
            }

            File.Move(temporary, fullPath, overwrite: false);
        }
        catch (IOException) when (File.Exists(fullPath))
        {
            // Another process created it first.
        }
        finally
        {
            File.Delete(temporary);
        }

        return ReadFile(fullPath);
    }

    /// <summary>Base64 of 32 fresh random bytes, for operators to put in Vault:MasterKey.</summary>
    public static string NewMasterKeyBase64() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MasterKey.SizeInBytes));
}
