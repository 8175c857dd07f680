using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyPlatform.KeyService.TenantKeys.Uploading;
using KeyPlatform.Testing;
using Npgsql;

namespace KeyService.IntegrationTests;

/// <summary>K3: passwords, .pfx bytes and private key bytes never reach events, documents, logs or problems.</summary>
public sealed class SecretHygieneTests(KeyServiceFixture fixture) : IClassFixture<KeyServiceFixture>
{
    [Fact]
    [Trait("Rule", "K3")]
    public async Task After_upload_generate_and_activate_no_password_or_private_key_bytes_are_in_the_database_or_the_logs_K3()
    {
        var (tenant, admin) = await fixture.EnabledTenantAsync();
        const string uploadPassword = "upload-secret-Z9q2w7e4r1t";
        const string generatePassword = "generate-secret-M3n8b5v2c6x";
        var (pfx, uploadedKey) = KeyFiles.DotNetPfx(uploadPassword);
        var keys = $"/v1/tenants/{tenant}/regions/europe/keys";

        var uploaded = await (await admin.PostAsync(keys, KeyFiles.Upload("uploaded", pfx, "k.pfx", uploadPassword)))
            .Content.ReadFromJsonAsync<UploadedTenantKey>();
        var generated = await admin.PostAsJsonAsync($"{keys}/generate",
            new { name = "generated", password = generatePassword, confirmPassword = generatePassword, acknowledgeRisk = true });
        var generatedPfx = await generated.Content.ReadAsByteArrayAsync();
        await admin.PostAsync(keys, KeyFiles.Upload("wrong", pfx, "k.pfx", "the wrong password, also secret"));
        fixture.Host.Clock.Advance(TimeSpan.FromDays(2));
        await admin.PostAsJsonAsync($"{keys}/{generated.Headers.GetValues("X-Key-Id").Single()}/activate", new { acknowledgeRisk = true });
        await Eventually.TrueAsync(async () => (await admin.GetStringAsync(keys)).Contains("\"Active\"", StringComparison.Ordinal)
                                             && !(await admin.GetStringAsync(keys)).Contains("\"Installing\"", StringComparison.Ordinal),
            "activation to finish");
        using var generatedCertificate = X509CertificateLoader.LoadPkcs12(generatedPfx, generatePassword, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        using var generatedKey = generatedCertificate.GetRSAPrivateKey()!;

        var secrets = new Dictionary<string, string>
        {
            ["upload password"] = uploadPassword,
            ["generate password"] = generatePassword,
            ["wrong password"] = "the wrong password, also secret",
        };
        foreach (var (name, key) in new[] { ("uploaded key", uploadedKey), ("generated key", generatedKey) })
        {
            var pkcs8 = key.ExportPkcs8PrivateKey();
            secrets[$"{name} PKCS#8 (base64)"] = Convert.ToBase64String(pkcs8);
            secrets[$"{name} PKCS#8 (hex)"] = Convert.ToHexString(pkcs8);
            secrets[$"{name} private exponent (base64)"] = Convert.ToBase64String(key.ExportParameters(true).D!);
        }
        secrets["uploaded pfx (base64)"] = Convert.ToBase64String(pfx)[..64];
        secrets["generated pfx (base64)"] = Convert.ToBase64String(generatedPfx)[..64];

        var stored = await EverythingStoredAsync(fixture.Host.Schema, fixture.Broker.Schema("vault"));
        var logs = string.Join('\n', fixture.Logs.Lines);
        stored.ShouldNotBeEmpty();
        logs.ShouldNotBeEmpty();
        foreach (var (name, secret) in secrets)
        {
            stored.Contains(secret, StringComparison.OrdinalIgnoreCase).ShouldBeFalse($"{name} found in the database");
            logs.Contains(secret, StringComparison.OrdinalIgnoreCase).ShouldBeFalse($"{name} found in the logs");
        }
        stored.ShouldContain(uploaded!.Thumbprint); // the scan does see the tables
    }

    /// <summary>Every row of every table of the service's and the vault's schemas, as text.</summary>
    private static async Task<string> EverythingStoredAsync(params string[] schemas)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresConnectionString);
        await connection.OpenAsync();
        var text = new StringBuilder();
        foreach (var schema in schemas)
        {
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand("select table_name from information_schema.tables where table_schema = @s and table_type = 'BASE TABLE'", connection))
            {
                list.Parameters.AddWithValue("s", schema);
                await using var reader = await list.ExecuteReaderAsync();
                while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
            }
            foreach (var table in tables)
            {
                await using var dump = new NpgsqlCommand($"select t::text from \"{schema}\".\"{table}\" t", connection);
                await using var reader = await dump.ExecuteReaderAsync();
                while (await reader.ReadAsync()) text.AppendLine(reader.GetString(0));
            }
        }
        return text.ToString();
    }
}
