using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.EnvironmentEncryption.Tenants;
using KeyPlatform.ServiceDefaults.Commands;
using KeyPlatform.Testing;

namespace EnvironmentEncryption.Tests;

/// <summary>Events and facts the decider tests start from: an environment of tenant contoso in Europe, created after
/// the feature was turned on, under the platform key or under tenant key k1.</summary>
public static class An
{
    public const string Tenant = "contoso";
    public const string Region = "europe";
    public const string Environment = "env-1";
    public static readonly DateTimeOffset T0 = new(2026, 2, 2, 10, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset EnabledAt = T0.AddDays(-30);

    public static WrappedDataKey PlatformKey(string dataKeyId = "dk-1") =>
        new(dataKeyId, EnvironmentProtection.PlatformKey, null, "thumb-platform-europe", "platform-europe", "pv1", [1, 2, 3], T0);

    /// <summary>What the vault of these tests wraps with (the local store's algorithm; data keys without a record read as it, D3).</summary>
    public const string Algorithm = KeyPlatform.Vault.WrappingAlgorithm.RsaOaep256;

    public static WrappedDataKey TenantKey(string keyId = "k1", string dataKeyId = "dk-1", string? thumbprint = null, string? vaultKeyId = null,
        string? algorithm = null) =>
        new(dataKeyId, EnvironmentProtection.TenantKey, keyId, thumbprint ?? $"thumb-{keyId}", vaultKeyId ?? $"vault-{keyId}", "v1", [4, 5, 6], T0,
            algorithm);

    public static ActiveTenantKey Active(string keyId = "k1", DateTimeOffset? at = null, string? vaultKeyId = null, string? thumbprint = null,
        string region = Region) =>
        new(region, keyId, vaultKeyId ?? $"vault-{keyId}", thumbprint ?? $"thumb-{keyId}", at ?? T0.AddDays(-10));

    public static TenantFacts Facts(params ActiveTenantKey[] activations) =>
        new(TenantFacts.StreamKey(Tenant), Tenant, EnabledAt, activations);

    public static TenantFacts FactsWithoutFeature() => new(TenantFacts.StreamKey(Tenant), Tenant, default, []);

    public static EnvironmentRegistered Registered(string environment = Environment, EnvironmentType type = EnvironmentType.Sandbox,
        EnvironmentStorage storage = EnvironmentStorage.SingleStore, string version = "9.2.24011.00200", DateTimeOffset? createdAt = null,
        string name = "Contoso Sales", string region = Region) =>
        new(environment, Tenant, region, name, type, storage, version, createdAt ?? EnabledAt.AddDays(1), T0.AddDays(-20));

    public static object[] UnderPlatformKey(string environment = Environment, EnvironmentType type = EnvironmentType.Sandbox,
        EnvironmentStorage storage = EnvironmentStorage.SingleStore, string version = "9.2.24011.00200", DateTimeOffset? createdAt = null,
        string name = "Contoso Sales", string region = Region, string dataKeyId = "dk-1") =>
        [Registered(environment, type, storage, version, createdAt, name, region), new DataKeyGenerated(PlatformKey(dataKeyId), T0.AddDays(-20))];

    /// <summary>The data key an environment had under the platform key before the tenant key was applied (V3 replaces it).</summary>
    public const string PlatformDataKeyId = "dk-0";

    /// <summary>Applied as since V3: a fresh data key <paramref name="dataKeyId"/> under the tenant key replaced the platform one.</summary>
    public static object[] UnderTenantKey(string keyId = "k1", string environment = Environment, EnvironmentType type = EnvironmentType.Sandbox,
        string name = "Contoso Sales", string region = Region, string dataKeyId = "dk-1", string? thumbprint = null, string? algorithm = null) =>
    [
        .. UnderPlatformKey(environment, type, name: name, region: region, dataKeyId: PlatformDataKeyId),
        .. Applying(keyId, region, T0.AddDays(-5)),
        new DataKeyReplaced(TenantKey(keyId, dataKeyId, thumbprint, algorithm: algorithm), PlatformDataKeyId, "thumb-platform-europe", null, RewrapReason.TenantKeyApplied,
            2, T0.AddDays(-5)),
        new TenantKeyApplied(keyId, T0.AddDays(-5)),
    ];

    /// <summary>Applied as before V3: the platform-wrapped data key itself was rewrapped under the tenant key.</summary>
    public static object[] UnderTenantKeyBeforeV3(string keyId = "k1", string dataKeyId = "dk-1") =>
    [
        .. UnderPlatformKey(dataKeyId: dataKeyId),
        .. Applying(keyId, Region, T0.AddDays(-5)),
        new DataKeyRewrapped(TenantKey(keyId, dataKeyId), "thumb-platform-europe", null, RewrapReason.TenantKeyApplied, null, T0.AddDays(-5)),
        new TenantKeyApplied(keyId, T0.AddDays(-5)),
    ];

    public static object[] Applying(string keyId = "k1", string region = Region, DateTimeOffset? at = null) =>
        [new TenantKeyApplicationStarted(Tenant, region, keyId, at ?? T0)];

    /// <summary>E3 begun: Updating toward the platform key.</summary>
    public static object[] Returning(string keyId = "k1") => [.. UnderTenantKey(keyId), new ReturnToPlatformKeyStarted(Tenant, Region, T0)];

    public static object[] Locked(string keyId = "k1", DateTimeOffset? at = null, string cycle = "cycle-1") =>
    [
        .. UnderTenantKey(keyId),
        new LockStarted(Tenant, Region, cycle, at ?? T0.AddHours(-2)),
        new LockCompleted(Tenant, Region, cycle, at ?? T0.AddHours(-2)),
    ];

    public static TenantEnvironment? State(params object[] events) => Given.Events<TenantEnvironment>(events);
}

public static class DecisionAssertions
{
    public static void ShouldBeRefusedBy(this Decision decision, string rule, string? reason = null)
    {
        decision.IsRefused.ShouldBeTrue($"expected a refusal by {rule}, got {decision}");
        decision.Refusal!.Rule.ShouldBe(rule, decision.Refusal.Reason);
        if (reason is not null) decision.Refusal.Reason.ShouldContain(reason, Case.Insensitive);
        decision.Events.ShouldBeEmpty();
    }

    public static void ShouldBeRefusedBy(this Refusal? refusal, string rule, string? reason = null)
    {
        refusal.ShouldNotBeNull($"expected a refusal by {rule}");
        refusal.Rule.ShouldBe(rule, refusal.Reason);
        if (reason is not null) refusal.Reason.ShouldContain(reason, Case.Insensitive);
    }

    public static void ShouldChangeNothing(this Decision decision)
    {
        decision.IsRefused.ShouldBeFalse(decision.ToString());
        decision.Events.ShouldBeEmpty();
    }

    /// <summary>The events, with the status picture the decider appends (checked to describe the state after them).</summary>
    public static T Single<T>(this Decision decision)
    {
        decision.IsRefused.ShouldBeFalse(decision.ToString());
        return decision.Events.OfType<T>().ShouldHaveSingleItem();
    }

    public static EncryptionStatusChanged Status(this Decision decision) => decision.Single<EncryptionStatusChanged>();
}
