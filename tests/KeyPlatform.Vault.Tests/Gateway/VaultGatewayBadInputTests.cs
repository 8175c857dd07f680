using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KeyPlatform.Vault.Gateway;
using KeyPlatform.Vault.Tests.Support;

namespace KeyPlatform.Vault.Tests.Gateway;

/// <summary>X1 at the vault gateway: a malformed request is a 400 ProblemDetails with rule VALIDATION, never a 500.</summary>
public sealed class VaultGatewayBadInputTests(VaultGatewayHost host) : IClassFixture<VaultGatewayHost>
{
    private static readonly VaultKeyOwner Contoso = VaultKeyOwner.Tenant("contoso", "westeurope");

    private HttpClient EnvironmentEncryption() =>
        host.Http($"{VaultGatewayClients.EnvironmentEncryption}:{VaultGatewayHost.EnvironmentEncryptionSecret}");

    [Fact, Trait("Rule", "X1")]
    public async Task An_unwrap_without_an_owner_is_a_400_naming_it_X1()
    {
        using var key = TestKeys.Rsa2048();
        var info = await host.Database.Vault.ImportAsync(new VaultKeyName("tenant key"), Contoso, key);
        var wrapped = await host.Database.Vault.WrapAsync(info.Reference, RandomNumberGenerator.GetBytes(32));
        var body = new Dictionary<string, string>
        {
            ["kid"] = info.KeyId, ["thumbprint"] = info.Thumbprint, ["alg"] = wrapped.Algorithm,
            ["value"] = System.Buffers.Text.Base64Url.EncodeToString(wrapped.Ciphertext),
        };

        using var response = await EnvironmentEncryption().PostAsJsonAsync(VaultGatewayProtocol.UnwrapKeyPath, body);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var (rule, detail) = await ProblemAsync(response);
        rule.ShouldBe("VALIDATION");
        detail.ShouldContain("owner");
    }

    [Fact, Trait("Rule", "X1")]
    public async Task A_wrap_whose_body_is_not_JSON_is_a_400_that_does_not_repeat_the_body_X1()
    {
        const string body = "{\"kid\": \"k\", \"value\": \"c2VjcmV0LWRhdGEta2V5\", oops";

        using var response = await EnvironmentEncryption().PostAsync(VaultGatewayProtocol.WrapKeyPath,
            new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var (rule, detail) = await ProblemAsync(response);
        rule.ShouldBe("VALIDATION");
        detail.ShouldNotContain("c2VjcmV0LWRhdGEta2V5");
    }

    private static async Task<(string? Rule, string Detail)> ProblemAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (problem.RootElement.GetProperty("rule").GetString(), problem.RootElement.GetProperty("detail").GetString()!);
    }
}
