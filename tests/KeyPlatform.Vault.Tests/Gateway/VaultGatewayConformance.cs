using KeyPlatform.Testing;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.KeyFiles;
using KeyPlatform.Vault.Tests.Conformance;
using Npgsql;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>
/// The conformance suite through the vault gateway: every operation the gateway offers goes over HTTP to KeyService's
/// endpoints, as the client that may call it (EnvironmentEncryption: platform keys, wrap, unwrap; TenantLock: import, .byok
/// import, .byok challenge, delete of what it imported); what only KeyService does (generate, thumbprints, listing, the
/// key-exchange key) the suite does on the store itself, as KeyService would.
/// </summary>
public sealed class VaultGatewayConformance(VaultGatewayHost host) : KeyVaultConformance, IClassFixture<VaultGatewayHost>
{
    protected override IKeyVault Vault { get; } = new ThroughTheGateway(host);

    protected override string ExpectedWrappingAlgorithm => WrappingAlgorithm.RsaOaep256;

    protected override IKeyVault NewInstance() => new ThroughTheGateway(host);

    protected override async Task<long> StoredKeyCountAsync()
    {
        await host.Database.Vault.ExistsAsync("schema-created-first");
        await using var connection = await host.Database.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{host.Database.Schema}\".keys", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    protected override async Task<bool> KeyMaterialIsStoredAsync(string keyId) => await host.Database.Vault.ExistsAsync(keyId);

    [Fact, Trait("Rule", "D1")]
    public void The_gateway_client_learns_the_stores_wrapping_algorithm_from_the_gateway_D1()
    {
        var client = new VaultGatewayKeyVault(host.Http($"{VaultGatewayClients.EnvironmentEncryption}:{VaultGatewayHost.EnvironmentEncryptionSecret}"),
            VaultGatewayClients.EnvironmentEncryption);

        client.PreferredWrappingAlgorithm.ShouldBe(host.Database.Vault.PreferredWrappingAlgorithm);
    }

    [Fact, Trait("Rule", "V1")]
    public async Task What_only_KeyService_does_is_not_offered_by_the_gateway_V1()
    {
        var client = host.Client(VaultGatewayClients.TenantLock);

        (await Should.ThrowAsync<NotSupportedException>(() => client.GenerateAsync(new VaultKeyName("no"), Contoso, "a password")))
            .Message.ShouldContain("vault gateway");
        await Should.ThrowAsync<NotSupportedException>(() => client.GetOrCreateKeyExchangeKeyAsync(ByokRegion));
        await Should.ThrowAsync<NotSupportedException>(() => client.ExistsAsync("any"));
    }

    /// <summary>Each call as the gateway client that may make it; KeyService's own calls on the store.</summary>
    private sealed class ThroughTheGateway(VaultGatewayHost host) : DelegatingKeyVault(new KeyPlatform.Vault.Resilience.ResilientKeyVault(host.Database.Vault))
    {
        private readonly IKeyVault _environments = host.Client(VaultGatewayClients.EnvironmentEncryption);
        private readonly IKeyVault _locks = host.Client(VaultGatewayClients.TenantLock);

        public override string PreferredWrappingAlgorithm => _environments.PreferredWrappingAlgorithm;

        public override Task<VaultKeyInfo> GetOrCreatePlatformKeyAsync(string region, CancellationToken cancellationToken = default) =>
            _environments.GetOrCreatePlatformKeyAsync(region, cancellationToken);

        public override Task<WrappedKey> WrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> plaintextKey, CancellationToken cancellationToken = default) =>
            _environments.WrapAsync(key, plaintextKey, cancellationToken);

        public override Task<UnwrappedKey> UnwrapAsync(VaultKeyReference key, ReadOnlyMemory<byte> wrappedKey, string algorithm,
            CancellationToken cancellationToken = default) =>
            _environments.UnwrapAsync(key, wrappedKey, algorithm, cancellationToken);

        public override Task<VaultKeyInfo> ImportAsync(VaultKeyName name, VaultKeyOwner owner, System.Security.Cryptography.RSA privateKey,
            CancellationToken cancellationToken = default) =>
            _locks.ImportAsync(name, owner, privateKey, cancellationToken);

        public override Task<KeyFileResult<VaultKeyInfo>> ImportByokAsync(VaultKeyName name, VaultKeyOwner owner, byte[] byokFile,
            string provedThumbprint, CancellationToken cancellationToken = default) =>
            _locks.ImportByokAsync(name, owner, byokFile, provedThumbprint, cancellationToken);

        public override Task<KeyFileResult<PossessionSignature>> SignByokChallengeAsync(byte[] byokFile, string region,
            PossessionChallenge challenge, CancellationToken cancellationToken = default) =>
            _locks.SignByokChallengeAsync(byokFile, region, challenge, cancellationToken);

        public override Task<bool> DeleteAsync(string keyId, CancellationToken cancellationToken = default) =>
            _locks.DeleteAsync(keyId, cancellationToken);
    }
}
