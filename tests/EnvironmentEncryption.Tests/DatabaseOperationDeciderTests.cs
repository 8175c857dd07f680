using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Backups;
using KeyPlatform.EnvironmentEncryption.Environments;

namespace EnvironmentEncryption.Tests;

public sealed class DatabaseOperationDeciderTests
{
    private static readonly TenantEnvironment X = An.State(An.UnderTenantKey("k1", "env-x", name: "X"))!;
    private static readonly TenantEnvironment Y = An.State(An.UnderTenantKey("k1", "env-y", name: "Y", dataKeyId: "dk-y"))!;
    private static readonly TenantEnvironment P = An.State(An.UnderPlatformKey("env-p", name: "P"))!;
    private static readonly TenantEnvironment W = An.State(An.UnderTenantKey("k-us", "env-w", name: "W", region: "unitedstates"))!;

    private static TenantEnvironment Lock(TenantEnvironment environment) =>
        EnvironmentDecider.Fold(environment, [new LockStarted(An.Tenant, An.Region, "c", An.T0), new LockCompleted(An.Tenant, An.Region, "c", An.T0)])!;

    private static EnvironmentBackup BackupOf(TenantEnvironment environment) => new()
    {
        Id = $"backup-{environment.EnvironmentId}",
        TenantId = An.Tenant,
        SourceEnvironmentId = environment.EnvironmentId,
        Region = environment.Region,
        DataKey = environment.DataKey!,
        TakenAt = An.T0,
    };

    private static RestoreEnvironmentBackup Restore(EnvironmentBackup backup, TenantEnvironment target) =>
        new(An.Tenant, backup.Id, target.EnvironmentId);

    private static CopyEnvironment Copy(TenantEnvironment source, TenantEnvironment target) =>
        new(An.Tenant, source.EnvironmentId, target.EnvironmentId);

    [Fact]
    [Trait("Rule", "D5")]
    public void A_backup_records_the_key_its_data_key_is_wrapped_by_D5_and_a_locked_environment_is_not_backed_up_E6()
    {
        var decision = EnvironmentDecider.Decide(X, new BackUpEnvironment(An.Tenant, X.EnvironmentId, "b1", "nightly"), 3, false, An.T0);

        decision.Events.ShouldHaveSingleItem().ShouldBe(new BackupTaken("b1", "nightly", 3, "dk-1", EnvironmentProtection.TenantKey, "thumb-k1", An.T0));
        EnvironmentDecider.Decide(X, new BackUpEnvironment(An.Tenant, X.EnvironmentId, "b1", ""), 3, alreadyTaken: true, An.T0).ShouldChangeNothing();
        EnvironmentDecider.Decide(Lock(X), new BackUpEnvironment(An.Tenant, X.EnvironmentId, "b2", ""), 3, false, An.T0).ShouldBeRefusedBy(Rules.E6);
    }

    [Fact]
    [Trait("Rule", "E4")]
    public void A_backup_restores_to_its_own_environment_or_another_under_the_same_tenant_key_E4()
    {
        var backup = BackupOf(X);

        EnvironmentDecider.CanRestore(X, X, backup, Restore(backup, X)).ShouldBeNull();
        EnvironmentDecider.CanRestore(Y, X, backup, Restore(backup, Y)).ShouldBeNull();
        EnvironmentDecider.Decide(Y, X, backup, Restore(backup, Y), 4, An.T0).Events.ShouldHaveSingleItem()
            .ShouldBe(new BackupRestored(backup.Id, X.EnvironmentId, 4, An.T0));
        var platformBackup = BackupOf(P);
        EnvironmentDecider.CanRestore(P, P, platformBackup, Restore(platformBackup, P)).ShouldBeNull();
    }

    [Fact]
    [Trait("Rule", "E4")]
    public void A_backup_does_not_restore_to_a_platform_key_environment_or_one_under_another_key_E4()
    {
        var backup = BackupOf(X);

        EnvironmentDecider.CanRestore(P, X, backup, Restore(backup, P)).ShouldBeRefusedBy(Rules.E4, "platform-managed key");
        EnvironmentDecider.CanRestore(W, X, backup, Restore(backup, W)).ShouldBeRefusedBy(Rules.E4, "another key");
        var platformBackup = BackupOf(P);
        EnvironmentDecider.CanRestore(X, P, platformBackup, Restore(platformBackup, X)).ShouldBeRefusedBy(Rules.E4, "only to the environment it came from");
        var rotated = EnvironmentDecider.Fold(Y, EnvironmentDecider.Decide(Y, new RewrapDataKey(An.TenantKey("k2", "dk-y"), "r"), An.T0).Events)!;
        EnvironmentDecider.CanRestore(rotated, X, backup, Restore(backup, rotated)).ShouldBeRefusedBy(Rules.E4, "another key");
    }

    [Fact]
    [Trait("Rule", "E4")]
    public void A_locked_environment_is_neither_the_source_nor_the_target_of_a_restore_E4()
    {
        var backup = BackupOf(X);

        EnvironmentDecider.CanRestore(Lock(Y), X, backup, Restore(backup, Y)).ShouldBeRefusedBy(Rules.E4, "target environment 'Y' is locked");
        EnvironmentDecider.CanRestore(Y, Lock(X), backup, Restore(backup, Y)).ShouldBeRefusedBy(Rules.E4, "source environment 'X' is locked");
        EnvironmentDecider.CanRestore(Lock(X), Lock(X), backup, Restore(backup, X)).ShouldBeRefusedBy(Rules.E4);
        EnvironmentDecider.CanRestore(Y, X, null, new RestoreEnvironmentBackup(An.Tenant, "nope", Y.EnvironmentId)).ShouldBeRefusedBy(Rules.NotFound);
    }

    [Fact]
    [Trait("Rule", "E4")]
    public void A_copy_goes_only_to_another_environment_under_the_same_tenant_key_and_never_from_or_to_a_locked_one_E4()
    {
        EnvironmentDecider.CanCopy(X, Y, Copy(X, Y)).ShouldBeNull();
        EnvironmentDecider.Decide(X, Y, Copy(X, Y), 2, An.T0).Events.ShouldHaveSingleItem().ShouldBe(new EnvironmentCopiedFrom(X.EnvironmentId, 2, An.T0));

        EnvironmentDecider.CanCopy(X, X, Copy(X, X)).ShouldBeRefusedBy(Rules.Validation);
        EnvironmentDecider.CanCopy(X, P, Copy(X, P)).ShouldBeRefusedBy(Rules.E4, "platform-managed key");
        EnvironmentDecider.CanCopy(P, X, Copy(P, X)).ShouldBeRefusedBy(Rules.E4, "platform-managed key");
        EnvironmentDecider.CanCopy(X, W, Copy(X, W)).ShouldBeRefusedBy(Rules.E4, "another key");
        EnvironmentDecider.CanCopy(X, Lock(Y), Copy(X, Y)).ShouldBeRefusedBy(Rules.E4, "target environment 'Y' is locked");
        EnvironmentDecider.CanCopy(Lock(X), Y, Copy(X, Y)).ShouldBeRefusedBy(Rules.E4, "source environment 'X' is locked");
    }

    [Fact]
    [Trait("Rule", "E5")]
    public void A_reset_returns_the_environment_to_the_platform_key_with_a_new_data_key_E5()
    {
        var decision = EnvironmentDecider.Decide(X, new ResetEnvironment(An.Tenant, X.EnvironmentId), 12, 2, An.PlatformKey("dk-fresh"), An.T0);

        decision.Single<EnvironmentReset>().ShouldBe(new EnvironmentReset(12, 2, An.T0));
        decision.Single<DataKeyGenerated>().DataKey.DataKeyId.ShouldBe("dk-fresh");
        decision.Status().Protection.ShouldBe(EnvironmentProtection.PlatformKey);
        var reset = EnvironmentDecider.Fold(X, decision.Events)!;
        reset.DataKey!.DataKeyId.ShouldBe("dk-fresh");
        reset.Protection.ShouldBe(EnvironmentProtection.PlatformKey);

        EnvironmentDecider.CanReset(Lock(X), new ResetEnvironment(An.Tenant, X.EnvironmentId)).ShouldBeRefusedBy(Rules.E6);
        Should.Throw<ArgumentException>(() => EnvironmentDecider.Decide(X, new ResetEnvironment(An.Tenant, X.EnvironmentId), 0, 0, An.TenantKey(), An.T0));
    }
}
