using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyPlatform.Vault.AzureKeyVault;

namespace KeyPlatform.Vault.Tests.AzureKeyVault;

/// <summary>An unwrapkey answer's data key leaves the answer as a byte array only, and the answer's bytes are zeroed.</summary>
public sealed class KeyVaultAnswerTests
{
    [Fact, Trait("Rule", "D1")]
    public void An_unwrapped_data_key_is_decoded_from_the_answers_bytes_which_are_zeroed_with_the_answer_D1()
    {
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var bytes = Encoding.UTF8.GetBytes($$"""{"kid":"https://contoso-keys.vault.azure.net/keys/k/1","value":"{{Base64Url.EncodeToString(dataKey)}}"}""");

        byte[] taken;
        using (var answer = new KeyVaultAnswer(200, JsonDocument.Parse(bytes.AsMemory()), bytes))
        {
            taken = answer.TakeSecretValue();
        }

        taken.ShouldBe(dataKey);
        bytes.ShouldAllBe(value => value == 0);
    }

    [Fact, Trait("Rule", "D1")]
    public void An_answer_whose_value_is_not_base64url_is_refused_D1()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"value":"not base64url!"}""");
        using var answer = new KeyVaultAnswer(200, JsonDocument.Parse(bytes.AsMemory()), bytes);

        Should.Throw<InvalidOperationException>(() => answer.TakeSecretValue());
    }
}
