using System.CommandLine;
using KeyPlatform.Cli;

var root = new RootCommand("Key Platform operator CLI");
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(ClockCommand.Create());
return await root.Parse(args).InvokeAsync();
