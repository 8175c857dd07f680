using KeyPlatform.ServiceDefaults.Persistence;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace KeyPlatform.Backbone.Tests.Persistence;

/// <summary>The local store's connections act as the vault schema's owner (docs/decisions/0021), keeping what else the
/// service's connection string passes to the server.</summary>
public sealed class VaultDatabaseRoleTests
{
    private static string ConnectionString(string postgres, string? role = null)
    {
        var values = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = postgres };
        if (role is not null) values["Vault:DatabaseRole"] = role;
        return VaultDatabaseRole.ConnectionString(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    [Fact, Trait("Rule", "V1")]
    public void The_vault_role_is_added_to_the_server_options_the_connection_string_already_has_V1()
    {
        var built = new NpgsqlConnectionStringBuilder(ConnectionString("Host=db;Username=kp_key_service;Options=-c statement_timeout=5000"));

        built.Options.ShouldBe("-c statement_timeout=5000 -c role=kp_vault");
        built.Username.ShouldBe("kp_key_service");
    }

    [Fact, Trait("Rule", "V1")]
    public void An_empty_role_leaves_the_connection_as_the_login_and_a_role_that_is_not_a_name_is_refused_V1()
    {
        new NpgsqlConnectionStringBuilder(ConnectionString("Host=db;Username=kp_key_service", role: "")).Options.ShouldBeNull();
        Should.Throw<InvalidOperationException>(() => ConnectionString("Host=db", role: "kp_vault -c search_path=evil"))
            .Message.ShouldContain("Vault:DatabaseRole");
    }
}
