using System.CommandLine;
using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.Cli;

/// <summary><c>keyplatform token</c>: mints a bearer token the services accept, signed with the configured key
/// (<c>Auth__SigningKey</c>, else the development key, which Production hosts refuse).</summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "Tenant id (tid claim); '*' for a platform operator", Required = true };
        var roles = new Option<string[]>("--role")
        {
            Description = $"Role claim, repeatable: {string.Join(", ", PlatformRoles.All)}",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var environments = new Option<string[]>("--env") { Description = "Environment id an environment admin administers, repeatable" };
        var subject = new Option<string>("--subject") { Description = "Subject (sub claim)", DefaultValueFactory = _ => "dev-admin" };
        var hours = new Option<double>("--hours") { Description = "Lifetime in hours", DefaultValueFactory = _ => 8 };

        var command = new Command("token", "Mint a development bearer token") { tenant, roles, environments, subject, hours };
        command.SetAction(parse =>
        {
            var unknown = parse.GetValue(roles)!.Where(r => !PlatformRoles.All.Contains(r)).ToList();
            if (unknown.Count > 0)
            {
                Console.Error.WriteLine($"Unknown role(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", PlatformRoles.All)}.");
                return 2;
            }
            Console.WriteLine(DevTokens.Mint(JwtFromEnvironment(Environment.GetEnvironmentVariable), parse.GetValue(subject)!, parse.GetValue(tenant)!, parse.GetValue(roles)!,
                parse.GetValue(environments), TimeSpan.FromHours(parse.GetValue(hours))));
            return 0;
        });
        return command;
    }

    /// <summary>The services' token settings from <c>Auth__SigningKey</c>, <c>Auth__Issuer</c>, <c>Auth__Audience</c>.</summary>
    public static JwtOptions JwtFromEnvironment(Func<string, string?> variable) => new()
    {
        SigningKey = variable("Auth__SigningKey") ?? JwtOptions.DevelopmentSigningKey,
        Issuer = variable("Auth__Issuer") ?? new JwtOptions().Issuer,
        Audience = variable("Auth__Audience") ?? new JwtOptions().Audience,
    };
}
