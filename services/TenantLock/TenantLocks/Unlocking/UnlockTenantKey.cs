using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Vault;
using KeyPlatform.TenantLock.Facts;
using Marten;

namespace KeyPlatform.TenantLock.TenantLocks.Unlocking;

/// <summary>U1: re-upload the key that locked, with its password. HTTPS only.</summary>
public sealed record UnlockTenantKey(string TenantId, string Region, KeyFileUpload Key, bool AcknowledgeRisk) : KeyPlatform.Contracts.ITenantCommand;

/// <summary>U1, L5, L6: checks the cycle and the key, puts the key back in the vault, and asks KeyService to install
/// it; if the cycle refuses after all (a race), the key is taken out of the vault again.</summary>
public sealed class UnlockTenantKeyHandler(LockCycles cycles, IDocumentStore store, KeyPossession possession, IKeyVault vault,
    TenantLockRules rules, TimeProvider time) : ICommandHandler<UnlockTenantKey>
{
    public async Task<CommandResult> HandleAsync(UnlockTenantKey command, CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Actor.MustBeTenantAdmin(command.TenantId) is { } denied) return CommandResult.Refused(denied);
        TenantLockCycle? cycle;
        await using (var query = store.QuerySession())
            cycle = await query.CurrentCycleAsync(command.TenantId, command.Region, cancellationToken);
        if (cycle?.Phase is LockPhase.UnlockingKey or LockPhase.KeyUnlocked) return CommandResult.Accepted();

        var (unproved, thumbprint) = await possession.ThumbprintAsync(command.Key, command.Region, KeyPlatform.Contracts.Rules.U1, cancellationToken);
        if (unproved is not null) return CommandResult.Refused(unproved);
        if (TenantLockDecider.CanUnlockKey(cycle, thumbprint!, command.AcknowledgeRisk, rules, time.GetUtcNow()) is { } refusal)
            return CommandResult.Refused(refusal);

        var (notImported, key) = await possession.ImportAsync(command.Key,
            new VaultKeyName($"unlock of {cycle!.LockCycleId}"), VaultKeyOwner.Tenant(command.TenantId, command.Region), thumbprint!,
            cancellationToken);
        if (notImported is not null) return CommandResult.Refused(notImported);

        var result = await cycles.DecideAsync(cycle.Id, context,
            (state, now) => TenantLockDecider.Decide(state,
                new RequestKeyUnlock(thumbprint!, key!.KeyId, command.AcknowledgeRisk, context.Actor.Subject), rules, now),
            cancellationToken);
        if (result.IsRefused) await vault.DeleteAsync(key!.KeyId, CancellationToken.None);
        return result;
    }
}
