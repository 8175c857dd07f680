using System.Security.Claims;
using KeyPlatform.ServiceDefaults.Auth;
using Microsoft.IdentityModel.JsonWebTokens;

namespace KeyPlatform.Backbone.Tests.Identity;

/// <summary>The configured claim names, mapped onto ours: exact names, dotted paths into JSON claims, and what a token
/// cannot smuggle in.</summary>
public sealed class PlatformClaimMappingTests
{
    private static ClaimsIdentity Token(params Claim[] claims) => new(claims, "Bearer");

    private static Actor? ActorOf(PlatformClaimNames names, ClaimsIdentity token) =>
        Actor.FromClaims(new PlatformClaimMapping(names).Map(new ClaimsPrincipal(token)));

    [Fact]
    public void The_default_names_read_our_own_and_Entra_ID_claims()
    {
        var actor = ActorOf(new PlatformClaimNames(), Token(new Claim("sub", "u1"), new Claim("tid", "contoso"),
            new Claim("roles", PlatformRoles.PowerPlatformAdmin), new Claim("roles", PlatformRoles.PlatformOperator), new Claim("env", "env-1")))!;

        actor.Subject.ShouldBe("u1");
        actor.TenantId.ShouldBe("contoso");
        actor.Roles.ShouldBe([PlatformRoles.PowerPlatformAdmin, PlatformRoles.PlatformOperator], ignoreOrder: true);
        actor.Environments.ShouldBe(["env-1"]);
    }

    [Fact]
    public void A_dotted_name_reads_a_nested_JSON_claim()
    {
        var names = new PlatformClaimNames { Roles = "realm_access.roles", Environments = "kp.environments" };
        var actor = ActorOf(names, Token(new Claim("sub", "u1"), new Claim("tid", "contoso"),
            new Claim("realm_access", """{"roles":["offline_access","EnvironmentAdmin"]}""", JsonClaimValueTypes.Json),
            new Claim("kp", """{"environments":"env-7"}""", JsonClaimValueTypes.Json)))!;

        actor.Roles.ShouldBe(["offline_access", PlatformRoles.EnvironmentAdmin], ignoreOrder: true);
        actor.Environments.ShouldBe(["env-7"]);
    }

    [Fact]
    public void Our_claim_names_in_the_token_are_dropped_when_other_names_are_configured()
    {
        var names = new PlatformClaimNames { Tenant = "tenant_id", Roles = "realm_access.roles" };
        var actor = ActorOf(names, Token(new Claim("sub", "u1"), new Claim("tid", "*"), new Claim("tenant_id", "contoso"),
            new Claim("roles", PlatformRoles.PlatformOperator), new Claim(ClaimTypes.Role, PlatformRoles.PlatformOperator)))!;

        actor.TenantId.ShouldBe("contoso");
        actor.Roles.ShouldBeEmpty();
    }

    [Fact]
    public void A_token_with_no_tenant_or_two_tenants_is_no_caller()
    {
        ActorOf(new PlatformClaimNames(), Token(new Claim("sub", "u1"))).ShouldBeNull();
        ActorOf(new PlatformClaimNames(), Token(new Claim("sub", "u1"), new Claim("tid", "a"), new Claim("tid", "b"))).ShouldBeNull();
    }
}
