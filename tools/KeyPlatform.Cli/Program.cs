using KeyPlatform.Cli;

return await KeyPlatformCli.RunAsync(args, CliEnvironment.FromProcess());
