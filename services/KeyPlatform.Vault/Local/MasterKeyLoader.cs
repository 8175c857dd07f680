using System.Security.Cryptography;
using KeyPlatform.Vault.Pkcs11;

namespace KeyPlatform.Vault.Local;

/// <summary>
/// Finds the master key: <see cref="LocalVaultOptions.MasterKey"/>, else the file
/// <see cref="LocalVaultOptions.MasterKeyFile"/>. With <see cref="MasterKeyWrapping.Pkcs11"/> only the file counts, and it
/// must hold the master key wrapped on the token (<see cref="WrappedMasterKey"/>), which unwraps it. In Development and
/// Testing hosts, with no file, a development key file is created (owner-only permissions; wrapped on the token under
/// <see cref="MasterKeyWrapping.Pkcs11"/>). In any other host a missing master key stops the service from starting.
/// </summary>
public static class MasterKeyLoader
{
    public const string MasterKeySetting = "Vault:MasterKey";
    public const string MasterKeyFileSetting = "Vault:MasterKeyFile";

    /// <summary>Where a wrapped development master key is created when no file is configured (never in Production).</summary>
    public static readonly string DefaultDevelopmentWrappedMasterKeyFile = Path.Combine(".data", "vault", "master.key.wrapped");

    public static MasterKey Load(LocalVaultOptions options, bool developmentKeyAllowed)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MasterKeyWrapping == MasterKeyWrapping.Pkcs11)
        {
            return LoadWrapped(options, developmentKeyAllowed);
        }

        if (options.MasterKey is { Length: > 0 } configured)
        {
            return MasterKey.FromBase64(configured, MasterKeySetting);
        }

        if (options.MasterKeyFile is { Length: > 0 } configuredFile && File.Exists(configuredFile))
        {
            return ReadPlainFile(configuredFile);
        }

        if (!developmentKeyAllowed)
        {
            throw new InvalidOperationException(options.MasterKeyFile is null
                ? $"The vault has no master key. Outside Development and Testing set {MasterKeySetting} (base64 of 32 random bytes) or " +
                  $"{MasterKeyFileSetting} (a file holding it); a development key is created only in Development and Testing."
                : $"The vault master key file '{options.MasterKeyFile}' does not exist. Outside Development and Testing the " +
                  "master key must be provided; a development key is created only there.");
        }

        var path = Path.GetFullPath(options.MasterKeyFile ?? LocalVaultOptions.DefaultDevelopmentMasterKeyFile);
        if (!File.Exists(path))
        {
            using var key = MasterKey.CreateRandom();
            WriteNewFile(path, key.ToBase64(), existingWins: true);
        }

        return ReadPlainFile(path);
    }

    /// <summary>
    /// Writes a new master key file (plain or wrapped): owner-only permissions, written to a private temporary file, then
    /// moved into place without overwriting. With <paramref name="existingWins"/>, a file another process moved there first
    /// is kept (two processes starting together end up with the same key); without it that is an <see cref="IOException"/>.
    /// </summary>
    public static void WriteNewFile(string path, string content, bool existingWins = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(content);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else if (!Directory.Exists(directory))
        {
            const UnixFileMode ownerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(directory, ownerOnlyDirectory);
            File.SetUnixFileMode(directory, ownerOnlyDirectory);
        }

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
                writer.Write(content);
            }

            File.Move(temporary, fullPath, overwrite: false);
        }
        catch (IOException) when (existingWins && File.Exists(fullPath))
        {
            // Another process created it first.
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static MasterKey ReadPlainFile(string path)
    {
        var text = File.ReadAllText(path);
        return WrappedMasterKey.IsWrapped(text)
            ? throw new InvalidOperationException($"The vault master key file '{path}' ({MasterKeyFileSetting}) holds a wrapped master " +
                $"key: set {MasterKeyWrappings.SettingName}=Pkcs11 and the {Pkcs11VaultOptions.SectionName} settings of the token it was " +
                "wrapped on.")
            : MasterKey.FromBase64(text, $"the file '{path}'");
    }

    private static MasterKey LoadWrapped(LocalVaultOptions options, bool developmentKeyAllowed)
    {
        if (options.MasterKey is { Length: > 0 })
        {
            throw new InvalidOperationException($"{MasterKeySetting} is set, but {MasterKeyWrappings.SettingName}=Pkcs11 reads the master " +
                $"key only wrapped, from {MasterKeyFileSetting}: remove {MasterKeySetting} (a plain master key in configuration " +
                "defeats the envelope).");
        }

        if (options.MasterKeyFile is null && !developmentKeyAllowed)
        {
            throw new InvalidOperationException($"{MasterKeyWrappings.SettingName}=Pkcs11 needs {MasterKeyFileSetting}: a file that " +
                "'keyplatform master-key create' (or 'keyplatform master-key wrap', for an existing master key) wrote.");
        }

        var path = Path.GetFullPath(options.MasterKeyFile ?? DefaultDevelopmentWrappedMasterKeyFile);
        var source = $"the file '{path}' ({MasterKeyFileSetting})";
        using var envelope = new Pkcs11MasterKeyEnvelope(options.Pkcs11);
        if (!File.Exists(path))
        {
            if (!developmentKeyAllowed)
            {
                throw new InvalidOperationException($"The vault master key file '{path}' ({MasterKeyFileSetting}) does not exist. Create " +
                    "it with 'keyplatform master-key create' (a new master key) or 'keyplatform master-key wrap' (an existing one); a " +
                    "development key is created only in Development and Testing.");
            }

            using var key = MasterKey.CreateRandom();
            WriteNewFile(path, envelope.Wrap(key, options.MasterKeyWrappingKey).ToJson(), existingWins: true);
        }

        var text = File.ReadAllText(path);
        if (!WrappedMasterKey.IsWrapped(text))
        {
            throw new InvalidOperationException($"{char.ToUpperInvariant(source[0])}{source[1..]} holds a plain master key, but " +
                $"{MasterKeyWrappings.SettingName} is Pkcs11: wrap it with 'keyplatform master-key wrap --from <that file> --out <new " +
                $"file>', set {MasterKeyFileSetting} to the new file and destroy the plain one.");
        }

        return envelope.Unwrap(WrappedMasterKey.Parse(text, source), source);
    }

    /// <summary>Base64 of 32 fresh random bytes, for operators to put in Vault:MasterKey.</summary>
    public static string NewMasterKeyBase64() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MasterKey.SizeInBytes));
}
