using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys.Adding;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.KeyService.TenantKeys.Uploading;

/// <summary>K4 with a .pfx and its password: accepted over HTTPS only, never over the bus (see docs/decisions).
/// <see cref="ToString"/> never shows the password or the file.</summary>
public sealed record UploadTenantKeyPfx(string TenantId, string Region, string KeyName, byte[] PfxFile, string? Password,
    bool AcknowledgeRisk) : ITenantCommand
{
    public override string ToString() => $"UploadTenantKeyPfx {{ {TenantId}/{Region}/{KeyName}, {PfxFile.Length} bytes }}";
}

public sealed record UploadedTenantKey(string KeyId, string Thumbprint);

/// <summary>K2, K4, K5, K11: a .pfx or .byok file checked against every requirement, its possession proved
/// (<see cref="PossessionProof"/>: the file's private key signs a fresh challenge its public key verifies), then
/// stored in the vault as the tenant's key of the region.</summary>
public sealed class UploadTenantKeyHandler(TenantKeyAdding adding, IKeyVault vault) :
    ICommandHandler<UploadTenantKeyPfx>, ICommandHandler<UploadTenantKeyByok>
{
    public async Task<CommandResult> HandleAsync(UploadTenantKeyPfx command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        var read = KeyFileReader.ReadPfx(command.PfxFile, command.Password);
        if (read.Refusal is { } unreadable) return CommandResult.Refused(ToRefusal(unreadable));
        using var loaded = read.Value;
        if (PossessionProof.Prove(loaded.PrivateKey, PossessionProof.ImportPurpose).Refusal is { } unproved)
            return CommandResult.Refused(ToRefusal(unproved));

        return Result(await adding.AddAsync(command.TenantId, command.Region, command.KeyName, TenantKeySource.UploadedPfx,
            command.AcknowledgeRisk, context,
            async (name, owner) => (null, await vault.ImportAsync(name, owner, loaded.PrivateKey, cancellationToken)), cancellationToken));
    }

    public async Task<CommandResult> HandleAsync(UploadTenantKeyByok command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        return Result(await adding.AddAsync(command.TenantId, command.Region, command.KeyName, TenantKeySource.UploadedByok,
            command.AcknowledgeRisk, context,
            async (name, owner) =>
            {
                var proved = await PossessionProof.ProveByokAsync(vault, command.ByokFile, command.Region, PossessionProof.ImportPurpose,
                    cancellationToken);
                if (proved.Refusal is { } unproved) return (ToRefusal(unproved), null);
                var imported = await vault.ImportByokAsync(name, owner, command.ByokFile, proved.Value, cancellationToken);
                return imported.IsRefused ? (ToRefusal(imported.Refusal!), null) : (null, imported.Value);
            }, cancellationToken));
    }

    internal static Refusal ToRefusal(KeyFileRefusal refusal) => new(refusal.Rule, refusal.Reason);

    private static CommandResult Result((Refusal? Refusal, TenantKeyAdding.Added? Added) outcome) =>
        outcome.Refusal is { } refusal
            ? CommandResult.Refused(refusal)
            : CommandResult.Accepted(new UploadedTenantKey(outcome.Added!.KeyId, outcome.Added.Vault.Thumbprint));
}
