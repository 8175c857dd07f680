using System.CommandLine;
using KeyPlatform.Cli.Operator;
using KeyPlatform.Vault;
using KeyPlatform.Vault.Local;
using KeyPlatform.Vault.Pkcs11;

namespace KeyPlatform.Cli;

/// <summary>
/// <c>keyplatform master-key create|wrap</c>: writes the local store's master key file wrapped by an AES key on the PKCS#11
/// token (<c>Vault:MasterKeyWrapping=Pkcs11</c>), for a new master key or an existing plain one (moving an installation onto
/// the envelope). The token comes from <c>--library</c>, <c>--token-label</c>, <c>--pin-file</c> or the services' own
/// variables (<c>Vault__Pkcs11__Library</c>, <c>Vault__Pkcs11__TokenLabel</c>, <c>Vault__Pkcs11__PinFile</c> or
/// <c>Vault__Pkcs11__Pin</c>); the PIN is never an argument. The plain master key is never written and never printed.
/// </summary>
public static class MasterKeyCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var create = new Command("create", "Create a new master key, wrapped on the token (the wrapping key is generated there if missing)");
        var wrap = new Command("wrap", "Wrap an existing plain master key file (base64), so an installation moves onto the envelope");
        var from = new Option<string>("--from") { Description = "The plain master key file (Vault:MasterKeyFile today)", Required = true };
        wrap.Options.Add(from);
        foreach (var command in new[] { create, wrap })
        {
            var output = new Option<string>("--out") { Description = "The wrapped master key file to write; it must not exist", Required = true };
            var label = new Option<string>("--wrapping-key")
            {
                Description = "Label of the AES wrapping key on the token",
                DefaultValueFactory = _ => Pkcs11MasterKeyEnvelope.DefaultKeyLabel,
            };
            var library = new Option<string?>("--library") { Description = "The PKCS#11 library (default: Vault__Pkcs11__Library, else SoftHSM's)" };
            var tokenLabel = new Option<string?>("--token-label") { Description = "The token's label (default: Vault__Pkcs11__TokenLabel)" };
            var pinFile = new Option<string?>("--pin-file") { Description = "A file holding the user PIN (default: Vault__Pkcs11__PinFile or Vault__Pkcs11__Pin)" };
            command.Options.Add(output);
            command.Options.Add(label);
            command.Options.Add(library);
            command.Options.Add(tokenLabel);
            command.Options.Add(pinFile);
            CommandAction.Set(command, environment, async (parse, _) =>
            {
                var token = new Pkcs11VaultOptions
                {
                    Library = parse.GetValue(library) ?? environment.Variable("Vault__Pkcs11__Library") ?? Pkcs11VaultOptions.SoftHsmLibrary,
                    TokenLabel = parse.GetValue(tokenLabel) ?? environment.Variable("Vault__Pkcs11__TokenLabel")
                        ?? throw new CliFailure(ExitCodes.BadInput, "Name the token: --token-label or Vault__Pkcs11__TokenLabel."),
                    PinFile = parse.GetValue(pinFile) ?? environment.Variable("Vault__Pkcs11__PinFile"),
                    Pin = parse.GetValue(pinFile) is null ? environment.Variable("Vault__Pkcs11__Pin") : null,
                };
                var path = Path.GetFullPath(parse.GetRequiredValue(output));
                if (File.Exists(path))
                {
                    throw new CliFailure(ExitCodes.BadInput, $"'{path}' exists; a master key file is never overwritten.");
                }

                using var masterKey = command == wrap ? ReadPlain(parse.GetRequiredValue(from)) : MasterKey.CreateRandom();
                await environment.Out.WriteLineAsync(Write(token, masterKey, parse.GetRequiredValue(label), path));
                if (command == wrap)
                {
                    await environment.Out.WriteLineAsync($"Once every service runs on '{path}', destroy the plain file " +
                        $"'{Path.GetFullPath(parse.GetRequiredValue(from))}' and every copy of it: with it, the envelope protects nothing.");
                }
            });
        }

        return new Command("master-key", "The local store's master key, wrapped by a key on a PKCS#11 token (Vault:MasterKeyWrapping=Pkcs11)")
            { create, wrap };
    }

    private static MasterKey ReadPlain(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliFailure(ExitCodes.BadInput, $"The plain master key file '{path}' does not exist.");
        }

        var text = File.ReadAllText(path);
        if (WrappedMasterKey.IsWrapped(text))
        {
            throw new CliFailure(ExitCodes.BadInput, $"'{path}' is wrapped already.");
        }

        try
        {
            return MasterKey.FromBase64(text, $"the file '{path}'");
        }
        catch (InvalidOperationException exception)
        {
            throw new CliFailure(ExitCodes.BadInput, exception.Message);
        }
    }

    /// <summary>Wraps, checks that the token unwraps it to the same key, then writes the file (owner-only, never over another).</summary>
    private static string Write(Pkcs11VaultOptions token, MasterKey masterKey, string label, string path)
    {
        try
        {
            using var envelope = new Pkcs11MasterKeyEnvelope(token);
            var wrapped = envelope.Wrap(masterKey, label);
            using (var unwrapped = envelope.Unwrap(wrapped, "the new file"))
            {
                if (!unwrapped.SameKeyAs(masterKey))
                {
                    throw new CliFailure(ExitCodes.Refused, "The token did not unwrap the wrapped master key to the same key; nothing was written.");
                }
            }

            MasterKeyLoader.WriteNewFile(path, wrapped.ToJson());
            return $"Wrote '{path}': the master key wrapped by '{label}' on the PKCS#11 token '{token.TokenLabel}' ({wrapped.Mechanism}). " +
                $"Run the services with Vault__MasterKeyWrapping=Pkcs11, Vault__MasterKeyFile={path} and the Vault__Pkcs11__* settings.";
        }
        catch (Exception exception) when (exception is InvalidOperationException or VaultUnavailableException)
        {
            throw new CliFailure(ExitCodes.Refused, exception.Message);
        }
        catch (IOException exception)
        {
            throw new CliFailure(ExitCodes.BadInput, $"'{path}' could not be written: {exception.Message}");
        }
    }
}
