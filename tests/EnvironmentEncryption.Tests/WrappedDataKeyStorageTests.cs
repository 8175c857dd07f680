using System.Text;
using System.Text.Json.Nodes;
using KeyPlatform.EnvironmentEncryption.Environments;
using KeyPlatform.Vault;
using Marten;

namespace EnvironmentEncryption.Tests;

/// <summary>How a wrapped data key reads back from the event store, with Marten's own serializer.</summary>
public sealed class WrappedDataKeyStorageTests
{
    [Fact, Trait("Rule", "D3")]
    public void A_wrapped_data_key_stored_before_algorithms_were_recorded_reads_as_RSA_OAEP_SHA256_D3()
    {
        var serializer = new StoreOptions().Serializer();
        var json = JsonNode.Parse(serializer.ToJson(An.PlatformKey() with { Algorithm = WrappingAlgorithm.RsaOaep }))!.AsObject();
        var recorded = json.Select(property => property.Key).Single(key => key.Equals("algorithm", StringComparison.OrdinalIgnoreCase));
        json.Remove(recorded);

        var older = serializer.FromJson<WrappedDataKey>(new MemoryStream(Encoding.UTF8.GetBytes(json.ToJsonString())));

        older.Algorithm.ShouldBeNull();
        WrappingAlgorithm.OrDefault(older.Algorithm).ShouldBe(WrappingAlgorithm.RsaOaep256);
        older.Ciphertext.ShouldBe(An.PlatformKey().Ciphertext);
    }

    [Fact, Trait("Rule", "D3")]
    public void A_wrapped_data_key_keeps_the_algorithm_it_was_wrapped_with_D3()
    {
        var serializer = new StoreOptions().Serializer();
        var written = An.PlatformKey() with { Algorithm = WrappingAlgorithm.RsaOaep };

        var read = serializer.FromJson<WrappedDataKey>(new MemoryStream(Encoding.UTF8.GetBytes(serializer.ToJson(written))));

        read.Algorithm.ShouldBe(WrappingAlgorithm.RsaOaep);
    }
}
