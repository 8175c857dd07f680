using System.Security.Cryptography;
using EnvironmentEncryption.IntegrationTests.Support;
using KeyPlatform.Contracts.Environments;
using KeyPlatform.EnvironmentEncryption.DataKeys.Rewrapping;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.Testing;
using KeyPlatform.Vault;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvironmentEncryption.IntegrationTests;

/// <summary>K8 for an algorithm change: a data key recorded with RSA-OAEP (as the SoftHSM store wraps) on a store that wraps
/// with RSA-OAEP-256 (the local one here) stays readable, and a rewrap run moves it to RSA-OAEP-256, online throughout (D3).</summary>
[Collection(PlatformCollection.Name)]
public sealed class AlgorithmRewrapTests(PlatformFixture platform)
{
    private IDocumentStore Store => platform.Environments.Services.GetRequiredService<IDocumentStore>();

    private async Task<TenantEnvironment> EnvironmentAsync(string environment)
    {
        await using var session = Store.QuerySession();
        return (await session.LoadAsync<TenantEnvironment>(TenantEnvironment.StreamKey(environment)))!;
    }

    [Fact]
    [Trait("Rule", "K8")]
    public async Task A_data_key_recorded_with_RSA_OAEP_is_rewrapped_to_the_stores_RSA_OAEP_256_and_reads_work_before_during_and_after_K8()
    {
        var (tenant, key, environment) = await platform.EnvironmentUnderTenantKeyAsync();
        var applied = (await EnvironmentAsync(environment)).DataKey!;
        applied.Algorithm.ShouldBe(WrappingAlgorithm.RsaOaep256);
        platform.Vault.PreferredWrappingAlgorithm.ShouldBe(WrappingAlgorithm.RsaOaep256);

        // The same data key as the SoftHSM store wraps it: OAEP with SHA-1, in process, with the tenant key's public part.
        var plaintext = key.File.Key.Decrypt(applied.Ciphertext, RSAEncryptionPadding.OaepSHA256);
        var softHsmWrapped = applied with
        {
            Ciphertext = key.File.Key.Encrypt(plaintext, RSAEncryptionPadding.OaepSHA1),
            Algorithm = WrappingAlgorithm.RsaOaep,
            WrappedAt = platform.Clock.GetUtcNow(),
        };
        await using (var session = Store.LightweightSession())
        {
            session.Events.Append(TenantEnvironment.StreamKey(environment), new DataKeyRewrapped(softHsmWrapped, applied.Thumbprint,
                applied.TenantKeyId, RewrapReason.KeyActivated, null, platform.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }
        platform.Cache.Evict(environment);

        (await platform.ReadOkAsync(tenant, environment, "invoice-7")).ShouldBe("EUR 1,200.00 due 2026-04-01"); // D3: unwrapped as recorded
        (await platform.StatusAsync(tenant, environment)).RewrapPending.ShouldBeTrue();

        var starter = platform.Environments.Services.GetRequiredService<AlgorithmRewrapStarter>();
        var run = (await starter.StartRunsAsync(CancellationToken.None)).ShouldHaveSingleItem();
        (await starter.StartRunsAsync(CancellationToken.None)).ShouldBeEmpty(); // the same work is one run, however often started
        await Eventually.TrueAsync(async () => (await EnvironmentAsync(environment)).DataKey!.Algorithm == WrappingAlgorithm.RsaOaep256,
            "the data key to be rewrapped with RSA-OAEP-256");

        var rewrapped = await EnvironmentAsync(environment);
        rewrapped.State.ShouldBe(EnvironmentState.Active);
        (rewrapped.Protection, rewrapped.TenantKeyId).ShouldBe((EnvironmentProtection.TenantKey, key.KeyId));
        (rewrapped.DataKey!.DataKeyId, rewrapped.DataKey.Thumbprint).ShouldBe((applied.DataKeyId, applied.Thumbprint)); // same data key, same key
        key.File.Key.Decrypt(rewrapped.DataKey.Ciphertext, RSAEncryptionPadding.OaepSHA256).ShouldBe(plaintext);
        await using (var session = Store.QuerySession())
        {
            var last = (await session.Events.FetchStreamAsync(TenantEnvironment.StreamKey(environment))).Last().Data.ShouldBeOfType<DataKeyRewrapped>();
            (last.Reason, last.RewrapId).ShouldBe((RewrapReason.AlgorithmChanged, run));
        }

        platform.Cache.Evict(environment);
        (await platform.ReadOkAsync(tenant, environment, "invoice-7")).ShouldBe("EUR 1,200.00 due 2026-04-01");
        (await platform.StatusAsync(tenant, environment)).RewrapPending.ShouldBeFalse();
        (await starter.StartRunsAsync(CancellationToken.None)).ShouldBeEmpty();
    }
}
