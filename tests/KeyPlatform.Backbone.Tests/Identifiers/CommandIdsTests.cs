using System.Reflection;
using KeyPlatform.Contracts;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.Contracts.Keys;
using KeyPlatform.ServiceDefaults.Identifiers;

namespace KeyPlatform.Backbone.Tests.Identifiers;

/// <summary>X3 for commands: HTTP and the bus check the same ids of every command before its handler runs.</summary>
public sealed class CommandIdsTests
{
    private static readonly PlatformIds Ids = new(new PlatformRegions(["europe", "unitedstates"]));

    /// <summary>Strings named like ids that are not tenant, region or environment ids: the handlers check their shape.</summary>
    private static readonly HashSet<string> OtherIds = ["KeyId", "VaultKeyId", "LockCycleId", "BackupId"];

    public static TheoryData<Type> Commands()
    {
        var data = new TheoryData<Type>();
        foreach (var type in new[] { typeof(ITenantCommand), typeof(KeyPlatform.KeyService.Program), typeof(KeyPlatform.EnvironmentEncryption.Program), typeof(KeyPlatform.TenantLock.Program) }
                     .Select(t => t.Assembly).Distinct()
                     .SelectMany(assembly => assembly.GetTypes())
                     .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ITenantCommand).IsAssignableFrom(t))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
            data.Add(type);
        return data;
    }

    [Theory, Trait("Rule", "X3")]
    [MemberData(nameof(Commands))]
    public void Every_tenant_region_and_environment_id_of_every_command_is_checked_X3(Type command)
    {
        var checkedIds = CommandIds.IdPropertiesOf(command);
        var idLike = command.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) && (p.Name.EndsWith("Id", StringComparison.Ordinal) || p.Name == "Region"))
            .Select(p => p.Name)
            .Where(name => !OtherIds.Contains(name));

        checkedIds.ShouldContain("TenantId");
        idLike.ShouldBeSubsetOf(checkedIds, $"{command.Name} has an id that X3 does not check; name it ...EnvironmentId, or add it here");
    }

    [Fact, Trait("Rule", "X3")]
    public void A_command_with_canonical_ids_passes_X3() =>
        Ids.Check(new CopyEnvironment("contoso", "env-1", "env-2")).ShouldBeNull();

    [Fact, Trait("Rule", "X3")]
    public void Each_environment_id_of_a_command_is_checked_and_named_X3() =>
        Ids.Check(new CopyEnvironment("contoso", "env-1", "env:2"))!.Reason.ShouldStartWith("The target environment id 'env:2'");

    [Theory, Trait("Rule", "X3")]
    [InlineData(" contoso", "europe", "tenant id")]
    [InlineData("contoso", " europe", "region")]
    [InlineData("contoso", "Europe", "region")]
    [InlineData("contoso", "made-up", "region")]
    public void The_tenant_and_the_region_of_a_command_are_checked_X3(string tenant, string region, string named)
    {
        var refusal = Ids.Check(new ActivateTenantKey(tenant, region, "k1", true))!;

        refusal.Rule.ShouldBe(Rules.X3);
        refusal.Reason.ShouldContain(named);
    }

    [Fact, Trait("Rule", "X3")]
    public void An_environment_registration_with_a_colon_in_its_id_is_refused_X3() =>
        Ids.Check(new RegisterEnvironment("contoso", "europe", "env:1", "n", EnvironmentType.Sandbox, EnvironmentStorage.SingleStore,
            "9.2.24011.00200", DateTimeOffset.UnixEpoch))!.Rule.ShouldBe(Rules.X3);
}
