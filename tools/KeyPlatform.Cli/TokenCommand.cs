using System.CommandLine;
using KeyPlatform.Cli.Operator;
using KeyPlatform.Cli.Tokens;
using KeyPlatform.ServiceDefaults.Auth;

namespace KeyPlatform.Cli;

/// <summary><c>keyplatform token</c>: prints a bearer token. With <c>Auth__Authority</c> it is the identity provider's
/// (see <see cref="TokenSource"/>); otherwise, in Development and Testing only, one minted with the development key
/// for the given tenant and roles.</summary>
public static class TokenCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var tenant = new Option<string?>("--tenant") { Description = "Tenant id (tid claim); '*' for a platform operator (development tokens)" };
        var roles = new Option<string[]>("--role")
        {
            Description = $"Role claim, repeatable: {string.Join(", ", PlatformRoles.All)} (development tokens)",
            AllowMultipleArgumentsPerToken = true,
        };
        var environments = new Option<string[]>("--env") { Description = "Environment id an environment admin administers, repeatable" };
        var subject = new Option<string>("--subject") { Description = "Subject (sub claim)", DefaultValueFactory = _ => "dev-admin" };
        var hours = new Option<double>("--hours") { Description = "Lifetime in hours", DefaultValueFactory = _ => 8 };

        var command = new Command("token", "Print a bearer token: from the identity provider (Auth__Authority), or a development token")
            { tenant, roles, environments, subject, hours };
        CommandAction.Set(command, environment, async (parse, cancellationToken) =>
        {
            var source = new TokenSource(environment);
            if (source.Authority is not null)
            {
                await environment.Out.WriteLineAsync(await source.FromIdentityProviderAsync(cancellationToken));
                return;
            }
            var requested = parse.GetValue(roles) ?? [];
            if (parse.GetValue(tenant) is not { Length: > 0 } tenantId || requested.Length == 0)
                throw new CliFailure(ExitCodes.BadInput, "A development token needs --tenant and at least one --role.");
            var unknown = requested.Where(r => !PlatformRoles.All.Contains(r)).ToList();
            if (unknown.Count > 0)
                throw new CliFailure(ExitCodes.BadInput, $"Unknown role(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", PlatformRoles.All)}.");
            await environment.Out.WriteLineAsync(source.MintForDevelopment(parse.GetValue(subject)!, tenantId, requested,
                parse.GetValue(environments) ?? [], TimeSpan.FromHours(parse.GetValue(hours))));
        });
        return command;
    }
}
