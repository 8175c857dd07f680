using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.KeyService.TenantKeys.Adding;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;

namespace KeyPlatform.KeyService.TenantKeys.Generating;

/// <summary>K3: a key name and a password typed twice. HTTPS only: the answer is the .pfx, once.</summary>
public sealed record GenerateTenantKey(string TenantId, string Region, string KeyName, string Password, string PasswordConfirmation,
    bool AcknowledgeRisk) : ITenantCommand
{
    public override string ToString() => $"GenerateTenantKey {{ {TenantId}/{Region}/{KeyName} }}";
}

/// <summary>The generated key, and its .pfx: returned to the admin once, never stored.</summary>
public sealed record GeneratedTenantKey(string KeyId, string Thumbprint, byte[] Pfx)
{
    public override string ToString() => $"GeneratedTenantKey {{ {KeyId}, {Thumbprint}, pfx not shown }}";
}

public sealed class GenerateTenantKeyHandler(TenantKeyAdding adding, IKeyVault vault) : ICommandHandler<GenerateTenantKey>
{
    public const int MinimumPasswordLength = 12;

    public async Task<CommandResult> HandleAsync(GenerateTenantKey command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        if (string.IsNullOrEmpty(command.Password) || command.Password.Length < MinimumPasswordLength)
            return CommandResult.Refused(new Refusal(Rules.K3, $"The password must be at least {MinimumPasswordLength} characters long."));
        if (!string.Equals(command.Password, command.PasswordConfirmation, StringComparison.Ordinal))
            return CommandResult.Refused(new Refusal(Rules.K3, "The password and its confirmation do not match."));

        byte[]? pfx = null;
        var (refusal, added) = await adding.AddAsync(command.TenantId, command.Region, command.KeyName, TenantKeySource.Generated,
            command.AcknowledgeRisk, context,
            async (name, owner) =>
            {
                var generated = await vault.GenerateAsync(name, owner, command.Password, cancellationToken);
                pfx = generated.Pfx;
                return (null, generated.Info);
            }, cancellationToken);
        return refusal is not null
            ? CommandResult.Refused(refusal)
            : CommandResult.Accepted(new GeneratedTenantKey(added!.KeyId, added.Vault.Thumbprint, pfx!));
    }
}
