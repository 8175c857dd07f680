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
            var options = new JwtOptions
            {
                SigningKey = Environment.GetEnvironmentVariable("Auth__SigningKey") ?? JwtOptions.DevelopmentSigningKey,
                Issuer = Environment.GetEnvironmentVariable("Auth__Issuer") ?? new JwtOptions().Issuer,
                Audience = Environment.GetEnvironmentVariable("Auth__Audience") ?? new JwtOptions().Audience,
            };
            Console.WriteLine(DevTokens.Mint(options, parse.GetValue(subject)!, parse.GetValue(tenant)!, parse.GetValue(roles)!,
                parse.GetValue(environments), TimeSpan.FromHours(parse.GetValue(hours))));
            return 0;
        });
        return command;
    }
}
